"""Accounts: users with a role, their API tokens and browser sessions (docs/api.md)."""
