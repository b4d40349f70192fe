"""Pages of a list already in memory (a summary computed in Python), for the same
pagination macro as the database's pages."""

from flask_sqlalchemy.pagination import Pagination


class ListPagination(Pagination):
    """`ListPagination(rows=rows, page=2, per_page=50, error_out=False)`."""

    def _query_items(self) -> list:
        start = self._query_offset
        return self._query_args["rows"][start : start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])
