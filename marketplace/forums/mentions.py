"""@mentions: write @ and the person's display name without spaces or punctuation.

"Ana María Silva" is mentioned as @AnaMariaSilva (case and accents do not matter; @ana_maria_silva
works too). Only members of the thread's community can be mentioned, since only they are sure to
be able to read it; a handle shared by several members mentions each of them.
"""

from marketplace.accounts.mentions import handle
from marketplace.text import MENTION

MAX_MENTIONS = 10


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
