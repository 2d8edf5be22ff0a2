/*
 * server.h - internals of the control server shared with the command
 * implementations (cmd_*.c, ping.c). Everything here runs on the stack's
 * thread, from the server's poll hook or from timers the commands arm.
 *
 * A client connection goes WAIT_REQ -> (RUNNING) -> DONE -> CLOSED:
 *   WAIT_REQ  connected, request not received yet (5 s to send it)
 *   RUNNING   an asynchronous command (ping) is still going
 *   DONE      the exit message is queued; the output is being flushed
 *   CLOSED    the client went away or everything was sent; freed by the hook
 * Output is queued per client (bounded by CTL_OUT_MAX) and sent without ever
 * blocking; a client that stops reading only stalls itself.
 */
#ifndef US_CTL_SERVER_H
#define US_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack.h"
#include "ctl/buf.h"
#include "ctl/json.h"
#include "ustack/ctl.h"

#define CTL_MAX_CLIENTS 80 /* room for 64 `tcp connect` jobs (tcpc.h) and the rest */
#define CTL_OUT_MAX (16u << 20)                  /* unsent output bytes per client */
#define CTL_REQ_TIMEOUT_NS (5 * US_NSEC_PER_SEC) /* to send the request after connecting */
#define CTL_CWD_MAX 4096

enum ctl_client_state { CTL_CL_WAIT_REQ, CTL_CL_RUNNING, CTL_CL_DONE, CTL_CL_CLOSED };

struct ctl_client;

/* A command that goes on after its handler returned (ping). */
struct ctl_async_ops {
	void (*poll)(struct ctl_client *c);      /* once per poll round */
	void (*interrupt)(struct ctl_client *c); /* the user pressed ^C: finish now, normally */
	void (*cancel)(struct ctl_client *c);    /* the client is gone: free everything, silently */
};

struct ctl_client {
	struct us_ctl_server *srv;
	struct us_stack *st;
	int fd;
	unsigned slot;
	uint32_t gen;
	enum ctl_client_state state;
	uint64_t deadline_ns;             /* WAIT_REQ: when to give up on the client */
	bool json;                        /* -j */
	bool want_out;                    /* EPOLLOUT registered: output waits for room */
	bool truncated;                   /* output beyond CTL_OUT_MAX was dropped */
	struct us_buf outq;               /* records: u32 length, then type byte + payload */
	size_t out_head;                  /* first unsent byte of outq */
	size_t last_rec;                  /* offset of the record output may extend, or SIZE_MAX */
	char cwd[CTL_CWD_MAX];            /* the client's working directory ("" if unknown) */
	const struct ctl_async_ops *async;
	void *async_state;
};

/* Queue output for the client's stdout (ctl_printf) or stderr (ctl_eprintf). */
void ctl_printf(struct ctl_client *c, const char *fmt, ...) US_PRINTF(2, 3);
void ctl_eprintf(struct ctl_client *c, const char *fmt, ...) US_PRINTF(2, 3);
void ctl_write(struct ctl_client *c, char type, const void *data, size_t len);

/* JSON output: ctl_json_start gives an emitter over a fresh buffer; ctl_json_emit
 * writes the document (and a newline) to stdout and frees the buffer. */
void ctl_json_start(struct us_buf *b, struct us_json *j);
void ctl_json_emit(struct ctl_client *c, struct us_buf *b, struct us_json *j);

/* A command's listing, as a JSON array (-j) or as text: ctl_list_begin opens the array
 * and returns its emitter, or NULL in text mode; ctl_list_end sends the document. */
struct ctl_list {
	struct us_buf b;
	struct us_json j;
};
struct us_json *ctl_list_begin(struct ctl_client *c, struct ctl_list *l);
void ctl_list_end(struct ctl_client *c, struct ctl_list *l);
/* The end of a command that changed something: "{}" with -j, nothing as text. */
int ctl_done(struct ctl_client *c);
/* Is @word one of the words `ip` takes for "show" (show, list, ls)? */
bool ctl_is_show(const char *word);

/* Ends the running command with exit @status (0..255); the connection closes once the
 * output is flushed. Asynchronous commands call it themselves. */
void ctl_finish(struct ctl_client *c, int status);

/* Resolves @path against the client's working directory. 0 or -ENAMETOOLONG/-EINVAL. */
int ctl_client_path(const struct ctl_client *c, const char *path, char *buf, size_t len);

/* Command handlers: argv[0] is the command name; they return the exit status, or
 * CTL_ASYNC after setting c->async (the command calls ctl_finish later). */
#define CTL_ASYNC (-1)
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2
typedef int ctl_cmd_fn(struct ctl_client *c, int argc, char **argv);

ctl_cmd_fn ctl_cmd_link, ctl_cmd_addr, ctl_cmd_route, ctl_cmd_neigh, ctl_cmd_stat, ctl_cmd_set,
	ctl_cmd_get, ctl_cmd_settings, ctl_cmd_capture, ctl_cmd_ping, ctl_cmd_ss, ctl_cmd_tcp;

/* Runs a request's argv (after the global options the client handled). */
int ctl_dispatch(struct ctl_client *c, int argc, char **argv);
/* Is @name a command of the protocol (the client checks before connecting)? */
bool ctl_command_known(const char *name);
/* The usage text `ustack --help` prints. */
extern const char ctl_usage_text[];

/* Device by name, printing "Cannot find device" for the client if missing. */
struct us_netdev *ctl_dev_arg(struct ctl_client *c, const char *name);
/* "ustack: CMD: strerror(-err)" to stderr; returns CTL_EXIT_FAIL. */
int ctl_fail(struct ctl_client *c, const char *what, int err);
/* "ustack: usage: ..." to stderr; returns CTL_EXIT_USAGE. */
int ctl_usage(struct ctl_client *c, const char *usage);

#endif
