"""Staff screens for gifts, plans, campaigns and funds (fundraisers and admins)."""

from crm.donations import bp  # noqa: F401
