"""Key rotation: a new key-encryption key version, every data key rewrapped under it in
durable batches (resumable), then the versions no data key uses any more retired."""

from __future__ import annotations

from collections.abc import Iterator

from ccop_cases.encryption import ManagedKeyProvider
from ccop_cases.identities import services
from ccop_cases.work import Work


def begin(work: Work, keys: ManagedKeyProvider) -> tuple[str, bool, int]:
    """Start a rotation, or resume an interrupted one: (current version, resumed, data keys
    still to rewrap). Audited."""
    resumed = any(status == "active" and version != keys.current_key_id for version, status in keys.versions.items())
    if not resumed:
        keys.add_version()
    work.audit.record("keys.rotated", "kek", keys.current_key_id, resumed="yes" if resumed else "no")
    stale = sum(n for version, n in services.count_by_kek(work.session).items() if version != keys.current_key_id)
    return keys.current_key_id, resumed, stale


def rewrap_all(work: Work, keys: ManagedKeyProvider, batch_size: int) -> Iterator[int]:
    """Rewrap every data key not yet under the current version, one committed batch at a
    time (an interruption loses nothing); yield each batch's size."""
    for batch in work.durable(services.stale_batches(work.session, keys.current_key_id, batch_size)):
        services.rewrap(keys, batch)
        yield len(batch)


def retire_unused(work: Work, keys: ManagedKeyProvider) -> list[str]:
    """Retire the active versions no data key uses any more (audited, each durable)."""
    in_use = set(services.count_by_kek(work.session))
    unused = sorted(v for v, s in keys.versions.items() if s == "active" and v != keys.current_key_id
                    and v not in in_use)
    for version in work.durable(unused):
        keys.retire(version, in_use=in_use)
        work.audit.record("keys.version_retired", "kek", version)
    return unused
