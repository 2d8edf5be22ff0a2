/*
 * print.h - tcpdump-style one-line summaries of frames, for logs, test failure
 * messages and the CLI. Never fails: malformed input prints as such.
 */
#ifndef US_WIRE_PRINT_H
#define US_WIRE_PRINT_H

#include <stddef.h>
#include <stdint.h>

/* Summarises an Ethernet frame into @out (always NUL-terminated). Returns @out. */
char *wire_print_eth(const uint8_t *frame, size_t len, char *out, size_t outlen);
/* Summarises an IPv4 datagram. */
char *wire_print_ipv4(const uint8_t *pkt, size_t len, char *out, size_t outlen);
/* "198.18.0.1" from a host-order address into @out (at least 16 bytes). */
char *wire_ip_str(uint32_t addr, char *out);

#endif
