/*
 * config.h - the settings table (config.def) as a struct, with get/set by the
 * sysctl-style name. Setting a value checks its bounds; protocol code reads
 * fields directly (st->cfg.ip_default_ttl).
 */
#ifndef US_CORE_CONFIG_H
#define US_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct us_config {
#define CFG(field, name, def, min, max, doc) int64_t field;
#include "core/config.def"
#undef CFG
};

struct us_config_desc {
	const char *field;
	const char *name; /* "net.ipv4.ip_forward" */
	int64_t def, min, max;
	const char *doc;
	size_t offset;
};

void us_config_defaults(struct us_config *cfg);
size_t us_config_count(void);
const struct us_config_desc *us_config_desc_at(size_t i);
/* Finds a setting by its sysctl name or by its field name. NULL if unknown. */
const struct us_config_desc *us_config_find(const char *name);
/* 0, -ENOENT (unknown name), -ERANGE (out of bounds), -EINVAL (not a number). */
int us_config_set(struct us_config *cfg, const char *name, const char *value);
int us_config_get(const struct us_config *cfg, const char *name, int64_t *out);

#endif
