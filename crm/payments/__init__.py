"""The only package that talks to Stripe: the client, amount conversion and event checks.

It imports no domain; donations call it.
"""
