/*
 * log.h - leveled logging to stderr. Anything that can be
 * triggered by a packet must use us_log_ratelimited(): a flood must not turn
 * into a flood of log lines.
 */
#ifndef US_CORE_LOG_H
#define US_CORE_LOG_H

#include <stdint.h>

#include "base/compiler.h"

enum us_log_level { US_LOG_ERR, US_LOG_WARN, US_LOG_INFO, US_LOG_DEBUG };

struct us_stack;

struct us_log_state {
	enum us_log_level level;     /* messages above this level are skipped */
	/* token bucket for rate-limited messages: 10/s, burst 50 */
	uint64_t tokens_milli;
	uint64_t last_ns;
	uint64_t suppressed;
};

void us_log(struct us_stack *st, enum us_log_level lvl, const char *mod, const char *fmt, ...)
	US_PRINTF(4, 5);
void us_log_ratelimited(struct us_stack *st, enum us_log_level lvl, const char *mod,
			const char *fmt, ...) US_PRINTF(4, 5);

#endif
