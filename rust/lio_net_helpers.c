// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for kernel TCP sockets, kernel threads and hashes (see lio_net_helpers.h),
 * exported for the fabric modules as lio_helpers.c is.
 */
#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "lio_net_helpers.h"

static int lio_to_sockaddr(const struct lio_sockaddr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->addr, 16);
		s6->sin6_port = htons(a->port);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->addr, 4);
		s4->sin_port = htons(a->port);
		return sizeof(*s4);
	}
}

int lio_sock_listen(const struct lio_sockaddr *addr, int backlog, void **out)
{
	struct sockaddr_storage ss;
	struct socket *sock;
	int len, ret;

	len = lio_to_sockaddr(addr, &ss);
	ret = sock_create_kern(&init_net, addr->ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret < 0)
		return ret;
	sock_set_reuseaddr(sock->sk);
	tcp_sock_set_nodelay(sock->sk);
	ret = kernel_bind(sock, (struct sockaddr *)&ss, len);
	if (ret < 0)
		goto fail;
	ret = kernel_listen(sock, backlog);
	if (ret < 0)
		goto fail;
	*out = sock;
	return 0;
fail:
	sock_release(sock);
	return ret;
}
EXPORT_SYMBOL_GPL(lio_sock_listen);

int lio_sock_accept(void *lsock, void **out)
{
	struct socket *sock;
	int ret;

	ret = kernel_accept(lsock, &sock, 0);
	if (ret < 0)
		return ret;
	tcp_sock_set_nodelay(sock->sk);
	*out = sock;
	return 0;
}
EXPORT_SYMBOL_GPL(lio_sock_accept);

int lio_sock_recv_all(void *sock, void *buf, size_t len)
{
	size_t done = 0;
	unsigned int noio = memalloc_noio_save();
	int ret = 0;

	while (done < len) {
		struct kvec iov = { .iov_base = buf + done, .iov_len = len - done };
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
		int rx = kernel_recvmsg(sock, &msg, &iov, 1, len - done, MSG_WAITALL);

		if (rx == 0) {
			ret = -ECONNRESET;
			break;
		}
		if (rx < 0) {
			if (rx == -EAGAIN && done)
				ret = -ETIMEDOUT;
			else if (rx == -EINTR || rx == -ERESTARTSYS)
				ret = -ECONNRESET;
			else
				ret = rx;
			break;
		}
		done += rx;
	}
	memalloc_noio_restore(noio);
	return ret;
}
EXPORT_SYMBOL_GPL(lio_sock_recv_all);

int lio_sock_send_all(void *sock, const void *buf, size_t len, bool more)
{
	size_t done = 0;
	unsigned int noio = memalloc_noio_save();
	int ret = 0;

	while (done < len) {
		struct kvec iov = { .iov_base = (void *)buf + done, .iov_len = len - done };
		struct msghdr msg = { .msg_flags = MSG_NOSIGNAL | (more ? MSG_MORE : 0) };
		int tx = kernel_sendmsg(sock, &msg, &iov, 1, len - done);

		if (tx <= 0) {
			ret = tx ? tx : -ECONNRESET;
			break;
		}
		done += tx;
	}
	memalloc_noio_restore(noio);
	return ret;
}
EXPORT_SYMBOL_GPL(lio_sock_send_all);

void lio_sock_set_rcvtimeo(void *s, unsigned int msecs)
{
	struct socket *sock = s;

	lock_sock(sock->sk);
	sock->sk->sk_rcvtimeo = msecs ? msecs_to_jiffies(msecs) : MAX_SCHEDULE_TIMEOUT;
	release_sock(sock->sk);
}
EXPORT_SYMBOL_GPL(lio_sock_set_rcvtimeo);

void lio_sock_shutdown(void *sock)
{
	kernel_sock_shutdown(sock, SHUT_RDWR);
}
EXPORT_SYMBOL_GPL(lio_sock_shutdown);

void lio_sock_shutdown_send(void *sock)
{
	kernel_sock_shutdown(sock, SHUT_WR);
}
EXPORT_SYMBOL_GPL(lio_sock_shutdown_send);

void lio_sock_release(void *sock)
{
	sock_release(sock);
}
EXPORT_SYMBOL_GPL(lio_sock_release);

int lio_sock_getname(void *sock, bool peer, struct lio_sockaddr *out)
{
	struct sockaddr_storage ss;
	int ret;

	memset(&ss, 0, sizeof(ss));
	ret = peer ? kernel_getpeername(sock, (struct sockaddr *)&ss) :
		     kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (ret < 0)
		return ret;
	memset(out, 0, sizeof(*out));
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		out->ipv6 = true;
		memcpy(out->addr, &s6->sin6_addr, 16);
		out->port = ntohs(s6->sin6_port);
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		memcpy(out->addr, &s4->sin_addr, 4);
		out->port = ntohs(s4->sin_port);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(lio_sock_getname);

void *lio_kthread_run(int (*fn)(void *data), void *data, const char *name)
{
	struct task_struct *t = kthread_create(fn, data, "%s", name);

	if (IS_ERR(t))
		return t;
	get_task_struct(t);
	wake_up_process(t);
	return t;
}
EXPORT_SYMBOL_GPL(lio_kthread_run);

int lio_kthread_stop_put(void *task)
{
	return kthread_stop_put(task);
}
EXPORT_SYMBOL_GPL(lio_kthread_stop_put);

bool lio_kthread_should_stop(void)
{
	return kthread_should_stop();
}
EXPORT_SYMBOL_GPL(lio_kthread_should_stop);

bool lio_is_err(const void *ptr)
{
	return IS_ERR(ptr);
}
EXPORT_SYMBOL_GPL(lio_is_err);

long lio_ptr_err(const void *ptr)
{
	return PTR_ERR(ptr);
}
EXPORT_SYMBOL_GPL(lio_ptr_err);

bool lio_crypto_has_shash(const char *alg)
{
	return crypto_has_shash(alg, 0, 0);
}
EXPORT_SYMBOL_GPL(lio_crypto_has_shash);

int lio_crypto_shash_digest(const char *alg, const u8 *const *parts, const unsigned int *lens,
			    unsigned int n, u8 *out, unsigned int out_len)
{
	struct crypto_shash *tfm;
	struct shash_desc *desc;
	unsigned int i;
	int ret;

	tfm = crypto_alloc_shash(alg, 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	if (crypto_shash_digestsize(tfm) > out_len) {
		ret = -EINVAL;
		goto out_tfm;
	}
	desc = kmalloc(sizeof(*desc) + crypto_shash_descsize(tfm), GFP_KERNEL);
	if (!desc) {
		ret = -ENOMEM;
		goto out_tfm;
	}
	desc->tfm = tfm;
	ret = crypto_shash_init(desc);
	for (i = 0; !ret && i < n; i++)
		ret = crypto_shash_update(desc, parts[i], lens[i]);
	if (!ret)
		ret = crypto_shash_final(desc, out);
	kfree_sensitive(desc);
out_tfm:
	crypto_free_shash(tfm);
	return ret;
}
EXPORT_SYMBOL_GPL(lio_crypto_shash_digest);

void lio_get_random_bytes(void *buf, size_t len)
{
	get_random_bytes(buf, len);
}
EXPORT_SYMBOL_GPL(lio_get_random_bytes);
