"""Pages for the pagination macro beyond Flask-SQLAlchemy's own: of a list already in memory
(a summary computed in Python), of a query whose total is counted up to a cap, and of whole
rows (a record with the figures computed beside it, such as a pledge with its balance)."""

from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from crm.extensions import db

MAX_PAGE = 1_000_000


class ListPagination(Pagination):
    """`ListPagination(rows=rows, page=2, per_page=50, error_out=False)`."""

    def _query_items(self) -> list:
        start = self._query_offset
        return self._query_args["rows"][start : start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


class CappedPagination(SelectPagination):
    """A page of a query whose total is counted only up to `cap` rows: counting every match
    of a million-row table costs as much as reading it, and nobody pages that far. Past the
    cap `capped` is true and the pages end at the cap (the list asks for a narrower search).

    `CappedPagination(select=query, session=db.session, cap=10_000, page=2, per_page=25,
    error_out=False)`."""

    def _query_count(self) -> int:
        cap = self._query_args["cap"]
        query = self._query_args["select"].options(lazyload("*")).order_by(None).limit(cap + 1)
        found = self._query_args["session"].scalar(
            select(func.count()).select_from(query.subquery())
        )
        self.capped = found > cap
        return min(found, cap)


class RowPagination(SelectPagination):
    """Like `db.paginate`, but each item is a whole row; still two queries a page."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query).unique().all())


def paginate_rows(query: Select, page: int, per_page: int = 25) -> RowPagination:
    page = min(max(page, 1), MAX_PAGE)
    return RowPagination(select=query, session=db.session, page=page, per_page=per_page,
                         error_out=False)  # fmt: skip
