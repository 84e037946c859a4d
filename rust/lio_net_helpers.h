/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for rust/lio/net.rs (kernel TCP sockets), rust/lio/kthread.rs (kernel
 * threads) and rust/lio/crypto.rs (hashes, random bytes). Sockets and tasks are passed
 * as opaque pointers.
 */
#ifndef _LIO_NET_HELPERS_H
#define _LIO_NET_HELPERS_H

#include <linux/types.h>

/* An IPv4 or IPv6 address and port, in network order as bytes (the port in host order). */
struct lio_sockaddr {
	bool ipv6;
	u8 addr[16];		/* IPv4: the first 4 bytes */
	u16 port;
};

/*
 * sock_create_kern(&init_net, AF_INET[6], SOCK_STREAM, IPPROTO_TCP), SO_REUSEADDR, TCP_NODELAY,
 * kernel_bind() to @addr and kernel_listen(@backlog): 0 and the socket in *@out, or a
 * negative errno (e.g. -EADDRINUSE).
 */
int lio_sock_listen(const struct lio_sockaddr *addr, int backlog, void **out);
/* kernel_accept() (blocking): 0 and the new socket in *@out, or a negative errno. */
int lio_sock_accept(void *lsock, void **out);
/*
 * Receives exactly @len bytes (kernel_recvmsg(MSG_WAITALL) in a loop, under
 * memalloc_noio_save()): 0; -ECONNRESET when the peer closed; -EAGAIN when the receive
 * timeout passed before any byte came; -ETIMEDOUT when it passed after some; or another
 * negative errno.
 */
int lio_sock_recv_all(void *sock, void *buf, size_t len);
/* Sends exactly @len bytes (kernel_sendmsg(), MSG_MORE with @more, under
 * memalloc_noio_save()): 0 or a negative errno. */
int lio_sock_send_all(void *sock, const void *buf, size_t len, bool more);
/* sk_rcvtimeo: @msecs, 0 for none. */
void lio_sock_set_rcvtimeo(void *sock, unsigned int msecs);
/* kernel_sock_shutdown(SHUT_RDWR): wakes up whoever waits in accept or receive. */
void lio_sock_shutdown(void *sock);
/*
 * kernel_sock_shutdown(SHUT_WR): sends FIN but keeps receiving, so what the peer still
 * sends is queued, not answered with a reset, until the socket is released.
 */
void lio_sock_shutdown_send(void *sock);
/* sock_release(). */
void lio_sock_release(void *sock);
/* kernel_getsockname() (@peer false) or kernel_getpeername(): 0 or a negative errno. */
int lio_sock_getname(void *sock, bool peer, struct lio_sockaddr *out);

/*
 * kthread_create(@fn, @data, "%s", @name), a reference on the task, wake_up_process():
 * the task, or an ERR_PTR.
 */
void *lio_kthread_run(int (*fn)(void *data), void *data, const char *name);
/* kthread_stop_put(): the thread function's result, or -EINTR if it never ran. */
int lio_kthread_stop_put(void *task);
bool lio_kthread_should_stop(void);
/* IS_ERR() / PTR_ERR(). */
bool lio_is_err(const void *ptr);
long lio_ptr_err(const void *ptr);

/* crypto_has_shash(@alg, 0, 0). */
bool lio_crypto_has_shash(const char *alg);
/*
 * The @alg digest of the concatenation of @n parts (@parts[i], @lens[i] bytes) into @out
 * (@out_len bytes, at least the digest size): 0 or a negative errno.
 */
int lio_crypto_shash_digest(const char *alg, const u8 *const *parts, const unsigned int *lens,
			    unsigned int n, u8 *out, unsigned int out_len);
/* get_random_bytes(). */
void lio_get_random_bytes(void *buf, size_t len);

#endif /* _LIO_NET_HELPERS_H */
