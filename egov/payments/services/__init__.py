"""The only code that changes payments' state: one module per capability.

- dues: payments opened and cancelled by the dossier's events (projector.py)
- settle: the one place a payment becomes paid (any provider), and the receipt queued
- attempts: an applicant (or the desk) starts paying through a provider
- national: the national payment platform's INIT/QUERY calls and its confirm callback
- vietqr / statements: the QR shown and the bank statement import that matches transfers
- cash: money taken at the desk
- receipts: the electronic receipt issued (numbered, signed PDF and XML)
- refunds: requested, approved or rejected by a leader, paid by the accountant
"""
