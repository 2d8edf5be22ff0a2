/*
 * ustack.c - the `ustack` command. `ustack daemon ...` runs a stack (daemon.c);
 * anything else is a client of a running stack's control socket:
 *
 *   ustack [-n NAME] [-j] COMMAND [ARGS...]
 *
 * The client sends its argv in one request (src/ctl/proto.h), copies the
 * server's stdout/stderr messages to its own as they come, and exits with the
 * status the server sends. All formatting is done by the server, which knows
 * the tables. The first ^C asks the server to stop the command (ping then
 * prints its summary); a second one leaves at once.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/proto.h"
#include "ctl/server.h"
#include "linkem.h"
#include "tools.h"
#include "ustack/ctl.h"

#define EXIT_USAGE 2

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	(void)sig;
	interrupts++;
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "ustack: %s\nTry 'ustack help' for more information.\n", msg);
	return EXIT_USAGE;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static int client_run(const char *name, int argc, char **argv)
{
	static uint8_t msg[CTL_MSG_MAX + 16];
	static char req[CTL_REQ_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sigaction sig = { .sa_handler = on_signal };
	char cwd[PATH_MAX];
	int fd, len, status = -1, sent_interrupt = 0;
	bool stdout_ok = true;

	if (us_ctl_socket_path(name, sa.sun_path, sizeof(sa.sun_path)) < 0) {
		fprintf(stderr, "ustack: invalid stack name \"%s\"\n", name);
		return EXIT_USAGE;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	len = ctl_req_encode(cwd, argc, argv, req, sizeof(req));
	if (len == -E2BIG && cwd[0]) /* a very deep directory: paths just stay unresolved */
		len = ctl_req_encode("", argc, argv, req, sizeof(req));
	if (len < 0)
		return usage_error("arguments too long");

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ustack: cannot reach stack %s: %s (%s)\n", name, strerror(errno),
			sa.sun_path);
		return EXIT_USAGE;
	}
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		fprintf(stderr, "ustack: cannot reach stack %s: %s\n", name, strerror(errno));
		close(fd);
		return EXIT_USAGE;
	}
	sigemptyset(&sig.sa_mask);
	sigaction(SIGINT, &sig, NULL); /* no SA_RESTART: poll returns EINTR */
	sigaction(SIGTERM, &sig, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (status < 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int st;

		if (interrupts > sent_interrupt) {
			if (sent_interrupt) {
				status = 130; /* second ^C: leave now; the server cancels on hang-up */
				break;
			}
			static const char intr = CTL_MSG_INTERRUPT;
			sent_interrupt = 1;
			(void)!send(fd, &intr, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ustack: poll: %s\n", strerror(errno));
			status = 1;
			break;
		}
		n = recv(fd, msg, sizeof(msg), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "ustack: connection to stack %s lost%s%s\n", name,
				n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			status = EXIT_USAGE;
			break;
		}
		if (ctl_reply_check(msg, (size_t)n, &st) < 0) {
			fprintf(stderr, "ustack: malformed message from stack %s\n", name);
			status = EXIT_USAGE;
			break;
		}
		switch (msg[0]) {
		case CTL_MSG_STDOUT:
			/* A closed stdout (ustack ... | head) is not an error worth reporting. */
			if (stdout_ok && !write_all(STDOUT_FILENO, msg + 1, (size_t)n - 1))
				stdout_ok = false;
			break;
		case CTL_MSG_STDERR:
			write_all(STDERR_FILENO, msg + 1, (size_t)n - 1);
			break;
		default:
			status = st;
			break;
		}
	}
	close(fd);
	return status;
}

int main(int argc, char **argv)
{
	static char json_opt[] = "-j";
	const char *name = "ustack";
	bool json = false;
	char *sendv[CTL_REQ_MAX_ARGS + 2];
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-n") || !strcmp(a, "--name")) {
			if (++i >= argc)
				return usage_error("-n needs a stack name");
			name = argv[i];
		} else if (!strncmp(a, "-n", 2) && a[2]) {
			name = a + 2;
		} else if (!strncmp(a, "--name=", 7)) {
			name = a + 7;
		} else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(ctl_usage_text, stdout);
			return 0;
		} else if (a[0] == '-') {
			fprintf(stderr, "ustack: unknown option \"%s\"\n", a);
			return usage_error("usage: ustack [-n NAME] [-j] COMMAND [ARGS]");
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage_error("no command given");
	if (!strcmp(argv[i], "daemon")) {
		if (json)
			return usage_error("-j does not apply to daemon");
		return daemon_main(argc - i - 1, argv + i + 1);
	}
	if (!strcmp(argv[i], "linkem")) {
		if (json)
			return usage_error("-j does not apply to linkem");
		return linkem_main(argc - i - 1, argv + i + 1);
	}
	if (!strcmp(argv[i], "help")) {
		fputs(ctl_usage_text, stdout);
		return 0;
	}
	if (!ctl_command_known(argv[i])) {
		fprintf(stderr, "ustack: unknown command \"%s\"\n", argv[i]);
		return usage_error("usage: ustack [-n NAME] [-j] COMMAND [ARGS]");
	}
	if (argc - i + 1 > CTL_REQ_MAX_ARGS)
		return usage_error("too many arguments");
	if (json)
		sendv[n++] = json_opt;
	for (; i < argc; i++)
		sendv[n++] = argv[i];
	sendv[n] = NULL;
	return client_run(name, n, sendv);
}
