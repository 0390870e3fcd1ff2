"""The two exceptions the library raises on purpose."""

from __future__ import annotations


class DecryptionError(Exception):
    """A stored value or wrapped data key could not be opened.

    Guarantees: raised for *every* failure to open a value — bad format, wrong suite
    byte, unknown key id, wrong associated data (value moved to another row, column,
    table or unit), failed authentication tag, bad padding, unknown or retired KEK
    version. The message is always the same, so it reveals nothing about which check
    failed, and the original exception is not chained.

    Does not: say what went wrong, or carry any part of the value. Callers must not
    retry with other keys, fall back to the stored bytes, or re-save the record; they
    should audit an integrity failure (DESIGN §5).
    """

    MESSAGE = "value could not be decrypted"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class KeyStoreError(Exception):
    """Key material is missing, malformed, exposed, or an operation would lose data.

    Guarantees: raised by providers when the key directory is absent or incomplete,
    has loose permissions, fails its canary check, or when an operation is refused
    (overwriting an existing directory, retiring a version still in use). The message
    names the file or version concerned so an operator can act; it never contains key
    bytes.

    Does not: signal a per-value decryption failure (that is `DecryptionError`).
    """
