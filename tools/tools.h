/*
 * tools.h - the two halves of the ustack command: the daemon (daemon.c) and the
 * control client (ustack.c).
 */
#ifndef US_TOOLS_TOOLS_H
#define US_TOOLS_TOOLS_H

#include <stdarg.h>

/* `ustack daemon ...`: @argv holds the words after "daemon". Returns the exit status. */
int daemon_main(int argc, char **argv);

/* The usage text (src/ctl/cmds.c). */
extern const char ctl_usage_text[];

#endif
