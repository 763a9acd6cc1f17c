"""The only code that changes meetings' state, one module per capability (as Zulip's
actions): meetings.py (secretariat), attendance.py, speaking.py, materials.py, votes.py,
consultations.py, minutes.py, conclusions.py, tasks.py; notify.py sends through the outbox."""
