"""Running the Huey consumer for an app: ``flask --app host worker`` or a thread in the demo.

The consumer executes the jobs registered on the app's Huey instance (``host.sync.tasks``).
Its scheduler checks periodic jobs every ``SYNC_SWEEP_SECONDS`` (default 60): the sweeper runs
then, and once when each worker starts, so work left behind by a killed worker is picked up
as soon as a worker is back.
"""

from __future__ import annotations

import logging

from flask import Flask
from huey.consumer import Consumer, Scheduler

from host.sync.queue import get_huey


def _scheduler_class(seconds: int):
    class SyncScheduler(Scheduler):
        periodic_task_seconds = max(1, int(seconds))

    return SyncScheduler


def build_consumer(app: Flask, workers: int = 2, worker_type: str = "thread") -> Consumer:
    huey = get_huey(app)
    if huey.immediate:
        raise RuntimeError("HUEY_IMMEDIATE is on: jobs run inline, there is nothing to consume.")

    class SyncConsumer(Consumer):
        scheduler_class = _scheduler_class(app.config.get("SYNC_SWEEP_SECONDS", 60))

    return SyncConsumer(huey, workers=workers, worker_type=worker_type, periodic=True,
                        initial_delay=0.05, max_delay=0.5, backoff=1.2, check_worker_health=True)


def run_worker(app: Flask, workers: int = 2) -> None:
    """Run in the foreground until SIGINT / SIGTERM (the ``worker`` command)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    build_consumer(app, workers=workers).run()


class WorkerThread:
    """The consumer in background threads of this process (demo, tests). No signal handlers."""

    def __init__(self, app: Flask, workers: int = 2) -> None:
        self.consumer = build_consumer(app, workers=workers)
        self.started = False

    def start(self) -> "WorkerThread":
        self.started = True
        self.consumer.scheduler.start()
        for _, process in self.consumer.worker_threads:
            process.start()
        return self

    def stop(self) -> None:
        if self.started:
            self.consumer.stop(graceful=True)
            self.started = False

    def __enter__(self) -> "WorkerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
