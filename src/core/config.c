/*
 * config.c - defaults, bounds and lookup by name for the settings in config.def.
 */
#include "core/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compiler.h"

static const struct us_config_desc descs[] = {
#define CFG(field_, name_, def_, min_, max_, doc_)                                        \
	{ .field = #field_, .name = name_, .def = def_, .min = min_, .max = max_, .doc = doc_, \
	  .offset = offsetof(struct us_config, field_) },
#include "core/config.def"
#undef CFG
};

void us_config_defaults(struct us_config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
		*(int64_t *)(void *)((char *)cfg + descs[i].offset) = descs[i].def;
}

size_t us_config_count(void) { return ARRAY_SIZE(descs); }

const struct us_config_desc *us_config_desc_at(size_t i)
{
	return i < ARRAY_SIZE(descs) ? &descs[i] : NULL;
}

const struct us_config_desc *us_config_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(descs); i++)
		if (!strcmp(descs[i].name, name) || !strcmp(descs[i].field, name))
			return &descs[i];
	return NULL;
}

int us_config_set(struct us_config *cfg, const char *name, const char *value)
{
	const struct us_config_desc *d = us_config_find(name);
	char *end;
	long long v;

	if (!d)
		return -ENOENT;
	errno = 0;
	v = strtoll(value, &end, 0);
	if (errno || end == value || *end)
		return -EINVAL;
	if (v < d->min || v > d->max)
		return -ERANGE;
	*(int64_t *)(void *)((char *)cfg + d->offset) = v;
	return 0;
}

int us_config_get(const struct us_config *cfg, const char *name, int64_t *out)
{
	const struct us_config_desc *d = us_config_find(name);

	if (!d)
		return -ENOENT;
	*out = *(const int64_t *)(const void *)((const char *)cfg + d->offset);
	return 0;
}
