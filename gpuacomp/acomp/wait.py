"""``crypto_wait``: how a caller sleeps until a request's callback has fired."""

import threading

from gpuacomp.acomp.constants import EBUSY, EINPROGRESS


class CryptoWait:
    """A completion and the error it carries (``struct crypto_wait``)."""

    def __init__(self):
        self._event = threading.Event()
        self.err = 0
        # Requests in the poll-only "async" mode have no interrupt to run their callback:
        # crypto_wait_req polls them (see Submission.attach_poller).
        self._polled = []

    def __repr__(self):
        return f"CryptoWait(done={self._event.is_set()}, err={self.err})"

    def complete(self, err):
        self.err = err
        self._event.set()


def crypto_init_wait():
    """A fresh ``CryptoWait`` (``DECLARE_CRYPTO_WAIT`` / ``crypto_init_wait``)."""
    return CryptoWait()


def crypto_req_done(data, err):
    """The standard callback: completes the ``CryptoWait`` in ``data`` with ``err``.

    The -EINPROGRESS notification of a backlogged request is ignored: the final
    result follows.
    """
    if err == -EINPROGRESS:
        return
    data.complete(err)


def crypto_wait_req(err, wait):
    """Wait for the result of a call that returned ``err``.

    Blocks only for -EINPROGRESS and -EBUSY (the request completes later) and then
    returns the result the callback stored; any other ``err`` is returned as it is.
    The wait is re-armed for the next request, as the kernel's ``reinit_completion``.
    """
    if err not in (-EINPROGRESS, -EBUSY):
        return err
    while not wait._event.is_set():
        if not wait._polled:
            wait._event.wait()
            break
        wait._polled.pop(0).wait_and_poll()
    wait._polled.clear()
    wait._event.clear()
    return wait.err
