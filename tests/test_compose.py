"""The production shape on paper: docker-compose.yml, the Dockerfile, the nginx template.

No Docker engine runs where these tests run, so they read the files: every
service, its image or build, ports, health checks and dependencies, the
environment it gets, and `nginx -t` on the rendered nginx template.
"""

import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.lb import rig
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = {"migrate", "web1", "web2", "ws1", "ws2", "worker", "beat"}
# docs/api.md "Environment": what production must set.
REQUIRED_APP_ENV = {"DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def documented_variables(markdown: str, heading: str) -> set[str]:
    """The `NAME`s in the first column of the tables under `heading`."""
    section = markdown.split(heading, 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_<>]*)` \|", section, re.M))


def app_environment(name: str) -> set[str]:
    service = SERVICES[name]
    keys = set(service.get("environment", {}))
    if service.get("env_file"):
        keys |= set(env_example())
    return keys


def test_every_service_of_the_production_shape_is_there():
    assert set(SERVICES) == {"postgres", "redis", "nginx"} | APP_SERVICES


def test_app_services_build_this_image_and_infrastructure_uses_pinned_images():
    for name in APP_SERVICES:
        assert SERVICES[name]["build"] == ".", name
        assert SERVICES[name]["image"] == "venue:latest", name
    for name, prefix in (("postgres", "postgres:16"), ("redis", "redis:7"), ("nginx", "nginx:1.")):
        image = SERVICES[name]["image"]
        assert image.startswith(prefix) and "latest" not in image, image


def test_roles_run_the_right_servers():
    for name in ("web1", "web2"):
        command = SERVICES[name]["command"]
        assert command[:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
        assert command[-1] == "venue.wsgi:application"
        assert SERVICES[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/")
        assert "/tmp" in SERVICES[name]["tmpfs"]
    for name in ("ws1", "ws2"):
        command = SERVICES[name]["command"]
        assert command[:2] == ["uvicorn", "venue.asgi:application"]
        assert "--port=8000" in command
        assert "--ws-per-message-deflate=false" in command
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "venue", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "venue", "beat"]
    assert SERVICES["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]


def test_only_nginx_publishes_a_port():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"nginx"}
    assert SERVICES["nginx"]["ports"] == ["${VENUE_HTTP_PORT:-8080}:80"]
    for name in ("web1", "web2", "ws1", "ws2"):
        assert SERVICES[name]["expose"] == ["8000"]


def test_every_long_running_service_has_a_health_check_and_limits():
    for name, service in SERVICES.items():
        limits = service["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0 and re.fullmatch(r"\d+[MG]", limits["memory"]), name
        if name == "migrate":
            assert service["healthcheck"] == {"disable": True}
            assert service["restart"] == "no"
            continue
        assert service["restart"] == "unless-stopped", name
        if name in {"web1", "web2", "ws1", "ws2"}:
            assert "healthcheck" not in service, "the Dockerfile's HEALTHCHECK probes /healthz"
            continue
        check = service["healthcheck"]
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_dockerfile_is_multi_stage_slim_non_root_with_static_files_and_a_health_check():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, re.M)
    assert stages == [("python:3.11-slim", "build"), ("python:3.11-slim", "runtime")]
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert re.search(r"^USER venue$", runtime, re.M)
    assert runtime.index("collectstatic") < runtime.index("USER venue")
    assert "requirements/production.txt" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD .*/healthz", runtime, re.M)
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "venue.wsgi:application"]' in runtime


def test_dependencies_wait_for_healthy_services_and_migrations():
    for name in APP_SERVICES - {"migrate"}:
        depends = SERVICES[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
    assert SERVICES["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert SERVICES["nginx"]["depends_on"] == {
        name: {"condition": "service_healthy"} for name in ("web1", "web2", "ws1", "ws2")
    }


def test_app_services_get_the_environment_api_md_requires():
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        assert env["DJANGO_DEBUG"] == "0", name
        assert env["DATABASE_URL"].startswith("postgres://venue:${POSTGRES_PASSWORD:?"), name
        assert env["DATABASE_URL"].endswith("@postgres:5432/venue"), name
        assert env["REDIS_URL"] == "redis://redis:6379/0", name
        assert app_environment(name) >= REQUIRED_APP_ENV, name


def test_every_variable_given_to_the_app_is_documented():
    readme = (ROOT / "README.md").read_text()
    documented = documented_variables(readme, "## Configuration")
    compose_only = documented_variables(readme, "## Production shape")
    for name in APP_SERVICES:
        undocumented = app_environment(name) - documented - compose_only
        assert not undocumented, (name, undocumented)
    # The compose-only names really are compose's, not settings the app reads.
    assert compose_only == {
        "POSTGRES_PASSWORD",
        "VENUE_HTTP_PORT",
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "GUNICORN_MAX_REQUESTS",
        "PROMETHEUS_MULTIPROC_DIR",
        "VENUE_NGINX_<NAME>",
    }


def test_readme_documents_every_variable_of_api_md():
    contract = documented_variables((ROOT / "docs" / "api.md").read_text(), "## Environment")
    assert contract >= REQUIRED_APP_ENV
    documented = documented_variables((ROOT / "README.md").read_text(), "## Configuration")
    assert contract <= documented


def test_nginx_gets_a_value_for_every_template_placeholder():
    env = SERVICES["nginx"]["environment"]
    placeholders = rig.template_placeholders()
    assert placeholders == {k for k in env if k.startswith("VENUE_NGINX_")}
    assert env["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    assert env["NGINX_ENVSUBST_FILTER"] == "VENUE_NGINX_"
    assert {env[f"VENUE_NGINX_WEB{i}"] for i in (1, 2)} == {"web1:8000", "web2:8000"}
    assert {env[f"VENUE_NGINX_WS{i}"] for i in (1, 2)} == {"ws1:8000", "ws2:8000"}
    volume = SERVICES["nginx"]["volumes"][0]
    assert volume == "./deploy/nginx.conf.template:/etc/nginx/templates/nginx.conf.template:ro"


def test_rendering_refuses_a_missing_value():
    with pytest.raises(KeyError, match="VENUE_NGINX_WS2"):
        rig.render_nginx_conf({k: "x" for k in rig.template_placeholders() - {"VENUE_NGINX_WS2"}})


def test_rendered_template_keeps_nginx_variables():
    values = rig.loopback_nginx_values(Path("/run/x"), 18080, [18001, 18002], [18003, 18004])
    conf = rig.render_nginx_conf(values)
    assert not rig.PLACEHOLDER.search(conf)
    assert "server 127.0.0.1:18001 max_fails=2 fail_timeout=10s;" in conf
    for variable in ("$request_id", "$http_upgrade", "$proxy_add_x_forwarded_for", "$http_host"):
        assert variable in conf
    assert "proxy_next_upstream error timeout http_502 http_503;" in conf
    assert "non_idempotent" not in conf.split("proxy_next_upstream error", 1)[1].split(";")[0]


@pytest.mark.skipif(not rig.nginx_binary(), reason="nginx is not installed")
def test_rendered_nginx_conf_passes_nginx_t():
    run_dir = Path(tempfile.mkdtemp(prefix="venue-nginx-t-"))
    try:
        values = rig.loopback_nginx_values(run_dir, free_port(), [18001, 18002], [18003, 18004])
        conf = run_dir / "nginx.conf"
        conf.write_text(rig.render_nginx_conf(values))
        result = rig.nginx_test_config(conf, run_dir)
        assert result.returncode == 0, result.stderr
        assert "test is successful" in result.stderr
        # And a broken file fails: the check can fail.
        conf.write_text(conf.read_text().replace("proxy_next_upstream_tries 2;", "nope;"))
        assert rig.nginx_test_config(conf, run_dir).returncode != 0
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
