"""Donors, pledges, payment providers, tranche releases and refunds (money moves via ledger).

For other features:
- templates/sponsorship/_pledge_form.html: include on a project page with `project` in context.
- services.refund_project(actor, project): call when a project is cancelled.
- services.release_tranche(reviewer, objective): after the objective is marked verified.
- ledger.services.project_totals(project_id): contributed / released / refunded / balance.
"""
