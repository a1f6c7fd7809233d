/* bus_proc: what every kubus daemon does first. */
#pragma once

/* Names the log (service) and sets its level; ignores SIGPIPE (the log pipe, or a peer, may
 * close before we do: a write error, not death); keeps malloc from handing large buffers back
 * to the kernel after each use; sets up czmq. */
void bus_proc_init(const char *service, int log_level);
