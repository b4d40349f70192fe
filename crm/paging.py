"""Pages of rows: like `db.paginate`, but each item is a whole row (a record with the figures
computed beside it, such as a pledge with its balance), still two queries a page."""

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select

from crm.extensions import db

MAX_PAGE = 1_000_000


class RowPagination(SelectPagination):
    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query).unique().all())


def paginate_rows(query: Select, page: int, per_page: int = 25) -> RowPagination:
    page = min(max(page, 1), MAX_PAGE)
    return RowPagination(select=query, session=db.session, page=page, per_page=per_page,
                         error_out=False)  # fmt: skip
