"""uvicorn's server, waking once a second instead of ten times when it has nothing to serve."""

from __future__ import annotations

import asyncio

import uvicorn


class QuietServer(uvicorn.Server):
    """A uvicorn server whose housekeeping tick (the Date header, the exit check) runs once a
    second: uvicorn's 0.1 s tick was most of an idle bot's CPU, and the Date header only changes
    once a second anyway; a requested exit is noticed within a second."""

    async def main_loop(self) -> None:
        """Tick until an exit is requested."""
        # uvicorn refreshes the Date header on every tenth tick, i.e. on counter 0 here.
        should_exit = await self.on_tick(0)
        while not should_exit:
            await asyncio.sleep(1.0)
            should_exit = await self.on_tick(0)
