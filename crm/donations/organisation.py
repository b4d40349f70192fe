"""The organisation as receipts, statements and their emails print it."""

from flask import current_app

from config import org_fact


def org_context() -> dict:
    """Its legal name, tax id and address; a stand-in value is left out."""
    config = current_app.config
    return {
        "legal_name": org_fact(config, "ORG_LEGAL_NAME") or config["ORG_NAME"],
        "tax_id": org_fact(config, "ORG_TAX_ID"),
        "address": org_fact(config, "ORG_ADDRESS"),
    }
