"""Meetings pages, one module per area (secretariat, member, votes, consultations, minutes)."""
