"""Default list pagination: `?page=` (1, 2, ...) and `?page_size=` (1 to 100, default 20).

A `page` or `page_size` that is not one whole number in range (`page_size=0`, `=500`,
`=abc`, `page=0`, the parameter given twice) is a 400 `validation_error`, as the schema
says; a page past the last one is a 404 `not_found`.
"""

from rest_framework import pagination, serializers


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def _query_int(self, request, name: str, maximum: int | None = None) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            raise serializers.ValidationError({name: ["Give this parameter once."]})
        value = values[0]
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise serializers.ValidationError({name: ["A whole number of at least 1."]})
        if maximum is not None and int(value) > maximum:
            raise serializers.ValidationError({name: [f"At most {maximum}."]})
        return int(value)

    def get_page_size(self, request) -> int:
        size = self._query_int(request, self.page_size_query_param, self.max_page_size)
        return size or self.page_size

    def get_page_number(self, request, paginator) -> int:
        return self._query_int(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number, from 1; past the last page is a 404.",
                "schema": {"type": "integer", "minimum": 1, "default": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size}.",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                },
            },
        ]
