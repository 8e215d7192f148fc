"""@mentions: write @ and the person's display name without spaces or punctuation.

"Ana María Silva" is mentioned as @AnaMariaSilva (case and accents do not matter; @ana_maria_silva
works too). Only members of the thread's community can be mentioned, since only they are sure to
be able to read it; a handle shared by several members mentions each of them.
"""

import re
import unicodedata

MENTION = re.compile(r"(?<![\w@/])@([A-Za-z0-9][\w.\-]{1,79})", re.UNICODE)
MAX_MENTIONS = 10


def handle(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_name.lower())


def mentioned_handles(source: str) -> set[str]:
    # Quoted lines repeat someone else's text: their mentions were already sent.
    own = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(">"))
    found = {handle(m) for m in MENTION.findall(own)}
    found.discard("")
    return set(sorted(found)[:MAX_MENTIONS])


def resolve(source: str, candidates) -> list:
    """The candidates (users) that the source mentions."""
    wanted = mentioned_handles(source)
    if not wanted:
        return []
    return [user for user in candidates if handle(user.display_name) in wanted]
