"""Carry the request id into SQL comments and Celery tasks.

Every SQL statement sent during a request ends with `/* request_id=... */`, so a
slow query in the database's log leads back to the request. Tasks queued during a
request carry the id in a message header and put it back in their own context,
so their log lines and SQL carry it too.
"""

from celery import signals as celery_signals
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from .context import current_request_id, request_id_var


def sql_comment_wrapper(execute, sql, params, many, context):
    request_id = current_request_id()
    if request_id:
        # sane_request_id() admits only [A-Za-z0-9._-], so the comment cannot be closed early.
        sql = f"{sql} /* request_id={request_id} */"
    return execute(sql, params, many, context)


@receiver(connection_created)
def add_sql_comment(sender, connection, **kwargs):
    if sql_comment_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(sql_comment_wrapper)


@celery_signals.before_task_publish.connect
def add_request_id_header(headers=None, **kwargs):
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


_task_tokens = {}


@celery_signals.task_prerun.connect
def restore_request_id(task_id=None, task=None, **kwargs):
    request_id = getattr(task.request, "request_id", None)
    if request_id:
        _task_tokens[task_id] = request_id_var.set(request_id)


@celery_signals.task_postrun.connect
def forget_request_id(task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
