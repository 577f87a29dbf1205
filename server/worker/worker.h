/*
 * worker.h - a worker process: accept a connection, serve its requests in
 * a blocking loop, repeat.
 */
#ifndef WORKER_H
#define WORKER_H

/*
 * Run worker number slot (its index in the scoreboard) until it retires
 * (MaxRequestsPerWorker), is told to stop, or the master goes away.
 * Called in the child right after fork(): opens its own metabase handle,
 * drops privileges, then serves.  Never returns.
 */
void	worker_main(int slot) __attribute__((noreturn));

#endif /* WORKER_H */
