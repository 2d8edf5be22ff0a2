/*
 * sock.h - the socket layer's module entry points (state in st->socks).
 * The socket API itself is public: include/ustack/socket.h.
 */
#ifndef US_SOCKET_SOCK_H
#define US_SOCKET_SOCK_H

#include "core/stack.h"

int sock_init(struct us_stack *st);
void sock_fini(struct us_stack *st);

#endif
