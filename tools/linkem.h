/*
 * linkem.h - `ustack linkem`, the userspace link emulator (tools/linkem.c).
 */
#ifndef US_TOOLS_LINKEM_H
#define US_TOOLS_LINKEM_H

/* @argv holds the words after "linkem". Returns the exit status. */
int linkem_main(int argc, char **argv);

#endif
