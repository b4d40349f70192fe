"""Stripe's customer portal, where donors change or stop a monthly gift and update a card."""

from crm.payments.client import stripe_client


def billing_portal_url(customer_id: str, return_url: str) -> str:
    session = stripe_client().v1.billing_portal.sessions.create(
        {"customer": customer_id, "return_url": return_url}
    )
    return session.url
