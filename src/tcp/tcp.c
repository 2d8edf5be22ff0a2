/* placeholder: the TCP module is being written (issue 3); until then TCP segments are
 * dropped as TCP_NO_SOCKET. */
#include "tcp/tcp.h"

int tcp_init(struct us_stack *st)
{
	(void)st;
	return 0;
}

void tcp_fini(struct us_stack *st) { (void)st; }

void tcp_input(struct us_stack *st, struct us_pkt *p, const struct ipv4_repr *ip)
{
	(void)ip;
	us_drop(st, p, US_DROP_TCP_NO_SOCKET);
}

void tcp_err(struct us_stack *st, const struct ipv4_repr *quoted, const uint8_t *l4, size_t l4_len,
	     uint8_t type, uint8_t code, int err, uint32_t info)
{
	(void)st, (void)quoted, (void)l4, (void)l4_len, (void)type, (void)code, (void)err, (void)info;
}
