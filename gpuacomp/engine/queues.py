"""Work queues of bounded depth, with a backlog for requests that may wait."""

from collections import deque

QUEUED = "queued"
BACKLOGGED = "backlogged"
FULL = "full"


class WorkQueue:
    """One queue: a descriptor holds a slot from submission until its completion.

    Not thread-safe by itself: the accelerator's lock guards every queue.
    """

    def __init__(self, index, depth):
        self.index = index
        self.depth = depth
        self.pending = deque()  # holding a slot, not yet taken by the engine
        self.backlog = deque()  # waiting for a slot
        self.held = 0  # slots held: pending + running

    def offer(self, descriptor, may_backlog):
        """Queue ``descriptor`` if a slot is free; else backlog it or refuse."""
        descriptor.queue = self.index
        if self.held < self.depth and not self.backlog:
            self.held += 1
            self.pending.append(descriptor)
            return QUEUED
        if may_backlog:
            self.backlog.append(descriptor)
            return BACKLOGGED
        return FULL

    def take(self, limit):
        taken = []
        while self.pending and len(taken) < limit:
            taken.append(self.pending.popleft())
        return taken

    def release(self):
        """A descriptor completed: free its slot; returns the backlogged one that entered."""
        self.held -= 1
        if self.backlog and self.held < self.depth:
            entering = self.backlog.popleft()
            self.held += 1
            self.pending.append(entering)
            return entering
        return None

    @property
    def idle(self):
        return self.held == 0 and not self.backlog
