"""A platform process finishing one Fast Connect redemption (the parent test kills it with SIGKILL
once the key is obtained and sealed on the grant, before the account is stored).

Usage: python -m tests.reliability.fast_connect_child  (everything from environment variables)."""

from __future__ import annotations

import asyncio
import os

from tests.reliability.fast_connect_deps import deps_from_env


async def main() -> None:
    deps, close = deps_from_env()
    try:
        out = await fast_connect_finish(deps)
        print("finished", out.status, flush=True)
    finally:
        await close()


async def fast_connect_finish(deps: object) -> object:
    from perpdesk.services import fast_connect

    return await fast_connect.finish(
        deps,  # type: ignore[arg-type]
        session_hash=os.environ["FC_SESSION"],
        state=os.environ["FC_STATE"],
        code=os.environ["FC_CODE"],
    )


if __name__ == "__main__":
    asyncio.run(main())
