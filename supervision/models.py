"""Supervision (M§23–26): complaints, appeals, reports and reconsideration — issue #6.

Nothing here yet: publicity objections live with applications (applications.Objection) until
the case model of issue #6 absorbs them."""
