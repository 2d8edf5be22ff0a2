/* log.c - leveled and rate-limited logging. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/stack.h"

#define LOG_RATE_PER_SEC 10
#define LOG_BURST 50

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static void vlog(struct us_stack *st, enum us_log_level lvl, const char *mod, const char *fmt,
		 va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "ustack[%s] %s: %s: %s\n", st ? st->name : "-", level_names[lvl], mod, line);
}

void us_log(struct us_stack *st, enum us_log_level lvl, const char *mod, const char *fmt, ...)
{
	va_list ap;

	if (st && lvl > st->log.level)
		return;
	va_start(ap, fmt);
	vlog(st, lvl, mod, fmt, ap);
	va_end(ap);
}

void us_log_ratelimited(struct us_stack *st, enum us_log_level lvl, const char *mod,
			const char *fmt, ...)
{
	struct us_log_state *ls = &st->log;
	va_list ap;

	if (lvl > ls->level)
		return;
	/* Refill: LOG_RATE_PER_SEC tokens per second, in milli-tokens. */
	if (st->now_ns > ls->last_ns) {
		ls->tokens_milli += (st->now_ns - ls->last_ns) * LOG_RATE_PER_SEC / 1000000;
		if (ls->tokens_milli > LOG_BURST * 1000)
			ls->tokens_milli = LOG_BURST * 1000;
		ls->last_ns = st->now_ns;
	}
	if (ls->tokens_milli < 1000) {
		ls->suppressed++;
		return;
	}
	ls->tokens_milli -= 1000;
	if (ls->suppressed) {
		fprintf(stderr, "ustack[%s] %s: %s: %llu messages suppressed\n", st->name,
			level_names[lvl], mod, (unsigned long long)ls->suppressed);
		ls->suppressed = 0;
	}
	va_start(ap, fmt);
	vlog(st, lvl, mod, fmt, ap);
	va_end(ap);
}
