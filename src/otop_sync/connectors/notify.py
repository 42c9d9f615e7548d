"""Sending notices through Prefect notification blocks that ops configure and name.

Any of Prefect's notification blocks works (``custom-webhook``, ``slack-webhook``,
``ms-teams-webhook``, …), and :class:`SmtpEmail`, a notification block for a plain SMTP server
(a government mail relay; Prefect's own email block needs SendGrid). Settings name the blocks
as ``<block type slug>/<block name>``; the addresses, accounts and passwords stay in the
blocks, in Prefect's block storage, never in settings, parameters or logs.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

import httpx
from prefect._internal.compatibility.async_dispatch import async_dispatch
from prefect.blocks.abstract import NotificationBlock, NotificationError
from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from otop_sync.errors import OtopSyncError
from otop_sync.reports.notices import Notice

logger = logging.getLogger(__name__)


class NotifyError(OtopSyncError):
    """A notice could not be sent: the block is missing, or its channel refused it."""


class SmtpEmail(NotificationBlock):
    """Sends a notification as an email through an SMTP server (UTF-8, so Thai reads as
    written). Register it once with ``prefect block register -m otop_sync.connectors.notify``."""

    _block_type_name = "OTOP SMTP Email"
    _block_type_slug = "otop-smtp-email"
    _description = "Sends notifications as email through an SMTP server (mail relay)."

    host: str = Field(description="The SMTP server's host name.")
    port: int = Field(default=587, description="The SMTP server's port.")
    security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls",
        description="STARTTLS on a plain connection (587), TLS from the start (465), or none "
        "(a relay on the local network only).",
    )
    username: str = Field(default="", description="The account, if the server needs one.")
    password: SecretStr = Field(default=SecretStr(""), description="The account's password.")
    from_address: str = Field(description="The sender, e.g. otop-sync@cdd.go.th.")
    to_addresses: list[str] = Field(description="The recipients.")
    timeout: float = Field(default=30, description="Seconds to wait for the server.")

    def message(self, body: str, subject: str | None) -> EmailMessage:
        """The email for a notification."""
        email = EmailMessage()
        email["Subject"] = subject or body.splitlines()[0]
        email["From"] = self.from_address
        email["To"] = ", ".join(self.to_addresses)
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain=self.from_address.rpartition("@")[2] or None)
        email.set_content(body, charset="utf-8")
        return email

    def _send(self, body: str, subject: str | None) -> None:
        client = smtplib.SMTP_SSL if self.security == "ssl" else smtplib.SMTP
        with client(self.host, self.port, timeout=self.timeout) as smtp:
            if self.security == "starttls":
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password.get_secret_value())
            smtp.send_message(self.message(body, subject))

    async def anotify(self, body: str, subject: str | None = None) -> None:
        """Send the email (from async code)."""
        await asyncio.to_thread(self._send, body, subject)

    @async_dispatch(anotify)
    def notify(self, body: str, subject: str | None = None) -> None:  # type: ignore[override]
        """Send the email."""
        self._send(body, subject)


def load_block(reference: str) -> NotificationBlock:
    """The notification block ``<block type slug>/<block name>`` saved in Prefect."""
    if "/" not in reference:
        raise NotifyError(
            f"notification block {reference!r} is not <block type slug>/<block name>, "
            "e.g. custom-webhook/district-offices"
        )
    try:
        block = Block.load(reference)
    except ValueError as error:
        raise NotifyError(f"notification block {reference!r} is not saved in Prefect") from error
    if not isinstance(block, NotificationBlock):
        raise NotifyError(f"block {reference!r} is not a notification block")
    return block


def send_notice(references: Sequence[str], notice: Notice) -> list[str]:
    """Send ``notice`` through each named block; a channel that fails does not keep the
    others from being tried. Returns one line per channel that failed (empty: all sent)."""
    failures = []
    for reference in references:
        try:
            block = load_block(reference)
            with block.raise_on_failure():
                block.notify(notice.body, notice.subject)
        except httpx.HTTPStatusError as error:  # the message would show the URL (a token?)
            failures.append(f"{reference}: HTTP {error.response.status_code}")
        except httpx.HTTPError as error:
            failures.append(f"{reference}: {type(error).__name__}")
        except (NotifyError, NotificationError, OSError, smtplib.SMTPException) as error:
            failures.append(f"{reference}: {type(error).__name__}: {error}")
    for failure in failures:
        logger.warning("notice not sent through %s", failure)
    return failures
