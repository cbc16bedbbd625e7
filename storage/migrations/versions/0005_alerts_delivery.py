"""Alert delivery: a fencing token on each claim, the message id a group was first sent under,
and the recipients that already have an alert.

- ``claim_token``: written by each claim; a deliverer whose lease another took can neither send
  nor record (storage.outbox.hold_for_send, record_attempt).
- ``message_id``: a digest's or a held-back group's id, kept from its first send so a retry
  carries the same id even if more alerts became due meanwhile.
- ``delivered_to``: the recipients (email addresses, Apprise URL keys) that accepted the alert
  when others refused it: retries and ``raqib alerts retry`` go to the others only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("message_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("delivered_to", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("delivered_to")
        batch.drop_column("message_id")
        batch.drop_column("claim_token")
