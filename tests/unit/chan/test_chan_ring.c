/* test_chan_ring.c - the channel's shared SPSC ring (src/chan/chan_ring.h): layout
 * checks, wrap-around, full and empty, peek and iovecs, records with truncation, the
 * sleeping protocol's wake-ups, a peer that corrupts the header, and two real runs:
 * threads blocking on eventfds through a small ring, and a forked producer process
 * writing into a memfd mapping. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chan/chan_ring.h"

/* The n-th byte of the test stream: a cheap hash of its index. */
static uint8_t stream_byte(uint64_t i)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ULL;

	return (uint8_t)(x >> 56);
}

static void *ring_mem(size_t len)
{
	void *m = NULL;

	assert_int_equal(posix_memalign(&m, 64, len), 0);
	memset(m, 0xa5, len);
	return m;
}

/* The raw shared index words, to play a peer that scribbles (offsets: tail 0, head 64). */
static uint32_t *raw_tail(void *mem) { return (uint32_t *)mem; }
static uint32_t *raw_head(void *mem) { return (uint32_t *)((uint8_t *)mem + 64); }

static void init_and_attach_validate(void **state)
{
	struct chan_ring a, b;
	void *m = ring_mem(chan_ring_footprint(4096));

	(void)state;
	assert_int_equal(chan_ring_init(&a, m, chan_ring_footprint(4096), 4095), -EINVAL);
	assert_int_equal(chan_ring_init(&a, m, chan_ring_footprint(4096), 32), -EINVAL);
	assert_int_equal(chan_ring_init(&a, m, chan_ring_footprint(4096) - 1, 4096), -EINVAL);
	assert_int_equal(chan_ring_init(&a, (uint8_t *)m + 8, chan_ring_footprint(2048), 2048),
			 -EINVAL);
	/* Not a ring yet: the magic is missing. */
	assert_int_equal(chan_ring_attach(&b, m, chan_ring_footprint(4096)), -EPROTO);
	assert_int_equal(chan_ring_init(&a, m, chan_ring_footprint(4096), 4096), 0);
	assert_int_equal(chan_ring_attach(&b, m, chan_ring_footprint(4096)), 0);
	assert_int_equal(b.size, 4096);
	/* A mapping smaller than the size the header claims. */
	assert_int_equal(chan_ring_attach(&b, m, chan_ring_footprint(2048)), -EPROTO);
	assert_int_equal(chan_ring_readable(&b), -EPROTO);
	assert_int_equal(chan_ring_readable(&a), 0);
	assert_int_equal(chan_ring_writable(&a), 4096);
	free(m);
}

static void wraps_around_and_fills(void **state)
{
	struct chan_ring p, c;
	void *m = ring_mem(chan_ring_footprint(64));
	uint8_t in[200], out[200];
	bool wake;

	(void)state;
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = stream_byte(i);
	assert_int_equal(chan_ring_init(&p, m, chan_ring_footprint(64), 64), 0);
	assert_int_equal(chan_ring_attach(&c, m, chan_ring_footprint(64)), 0);

	assert_int_equal(chan_ring_write(&p, in, 50, &wake), 50);
	assert_false(wake);
	assert_int_equal(chan_ring_read(&c, out, 30, &wake), 30);
	assert_memory_equal(out, in, 30);
	/* 20 held, 44 free: 40 more wrap past the end of the data area. */
	assert_int_equal(chan_ring_write(&p, in + 50, 40, &wake), 40);
	assert_int_equal(chan_ring_readable(&c), 60);
	assert_int_equal(chan_ring_writable(&p), 4);
	/* Only what fits is taken; a full ring takes nothing. */
	assert_int_equal(chan_ring_write(&p, in + 90, 10, &wake), 4);
	assert_int_equal(chan_ring_write(&p, in + 94, 10, &wake), 0);
	assert_int_equal(chan_ring_read(&c, out, sizeof(out), &wake), 64);
	assert_memory_equal(out, in + 30, 64);
	assert_int_equal(chan_ring_read(&c, out, sizeof(out), &wake), 0);
	assert_int_equal(chan_ring_readable(&c), 0);
	free(m);
}

static void peek_consume_and_iovecs(void **state)
{
	struct chan_ring r;
	void *m = ring_mem(chan_ring_footprint(128));
	uint8_t in[100], a[7], b[50], big[100];
	struct iovec wv[3] = { { in, 10 }, { in + 10, 0 }, { in + 10, 90 } };
	struct iovec rv[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	bool wake;

	(void)state;
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = stream_byte(i + 1000);
	assert_int_equal(chan_ring_init(&r, m, chan_ring_footprint(128), 128), 0);
	assert_int_equal(chan_ring_writev(&r, wv, 3, &wake), 100);
	/* MSG_PEEK at an offset leaves everything in place. */
	assert_int_equal(chan_ring_peek(&r, 95, big, sizeof(big)), 5);
	assert_memory_equal(big, in + 95, 5);
	assert_int_equal(chan_ring_peek(&r, 100, big, sizeof(big)), 0);
	assert_int_equal(chan_ring_readable(&r), 100);
	assert_int_equal(chan_ring_readv(&r, rv, 2, &wake), 57);
	assert_memory_equal(a, in, 7);
	assert_memory_equal(b, in + 7, 50);
	assert_int_equal(chan_ring_consume(&r, 1000, &wake), 43);
	assert_int_equal(chan_ring_readable(&r), 0);
	free(m);
}

static void wakes_only_sleepers(void **state)
{
	struct chan_ring r;
	void *m = ring_mem(chan_ring_footprint(64));
	uint8_t buf[64] = { 0 };
	bool wake;

	(void)state;
	assert_int_equal(chan_ring_init(&r, m, chan_ring_footprint(64), 64), 0);
	/* Nobody sleeps: no signal. */
	assert_int_equal(chan_ring_write(&r, buf, 1, &wake), 1);
	assert_false(wake);
	/* A reader about to sleep sees the byte and does not sleep. */
	assert_int_equal(chan_ring_reader_wait_prepare(&r), 1);
	assert_int_equal(chan_ring_read(&r, buf, 1, &wake), 1);
	assert_false(wake);
	/* It sleeps on an empty ring; the next write must signal it, once. */
	assert_int_equal(chan_ring_reader_wait_prepare(&r), 0);
	assert_int_equal(chan_ring_write(&r, buf, 3, &wake), 3);
	assert_true(wake);
	assert_int_equal(chan_ring_write(&r, buf, 3, &wake), 3);
	assert_false(wake);
	/* A cancelled wait is not signalled. */
	assert_int_equal(chan_ring_read(&r, buf, 64, &wake), 6);
	assert_int_equal(chan_ring_reader_wait_prepare(&r), 0);
	chan_ring_reader_wait_cancel(&r);
	assert_int_equal(chan_ring_write(&r, buf, 1, &wake), 1);
	assert_false(wake);
	/* The writer's side: full ring, the writer sleeps, a read signals it. */
	assert_int_equal(chan_ring_write(&r, buf, 64, &wake), 63);
	assert_int_equal(chan_ring_writer_wait_prepare(&r), 0);
	assert_int_equal(chan_ring_consume(&r, 10, &wake), 10);
	assert_true(wake);
	assert_int_equal(chan_ring_consume(&r, 10, &wake), 10);
	assert_false(wake);
	assert_int_equal(chan_ring_writer_wait_prepare(&r), 20);
	free(m);
}

static void corrupt_header_is_caught(void **state)
{
	struct chan_ring p, c;
	void *m = ring_mem(chan_ring_footprint(64));
	uint8_t buf[64] = { 0 };
	bool wake;

	(void)state;
	assert_int_equal(chan_ring_init(&p, m, chan_ring_footprint(64), 64), 0);
	assert_int_equal(chan_ring_attach(&c, m, chan_ring_footprint(64)), 0);
	assert_int_equal(chan_ring_write(&p, buf, 10, &wake), 10);
	/* The peer claims 65 bytes in a 64-byte ring. */
	*raw_tail(m) = *raw_head(m) + 65;
	assert_int_equal(chan_ring_readable(&c), -EPROTO);
	assert_int_equal(chan_ring_read(&c, buf, sizeof(buf), &wake), -EPROTO);
	/* Broken for ever, even once the header looks sane again. */
	*raw_tail(m) = *raw_head(m) + 1;
	assert_int_equal(chan_ring_readable(&c), -EPROTO);
	assert_int_equal(chan_ring_reader_wait_prepare(&c), -EPROTO);
	/* Indexes near the wrap of 2^32 are fine: only the difference matters. */
	assert_int_equal(chan_ring_init(&p, m, chan_ring_footprint(64), 64), 0);
	*raw_tail(m) = *raw_head(m) = 0xfffffff0u;
	assert_int_equal(chan_ring_attach(&c, m, chan_ring_footprint(64)), 0);
	assert_int_equal(chan_ring_write(&p, buf, 40, &wake), 40);
	assert_int_equal(chan_ring_readable(&c), 40);
	assert_int_equal(*raw_tail(m), 0x18);
	free(m);
}

static void records_whole_or_nothing(void **state)
{
	struct chan_ring r;
	void *m = ring_mem(chan_ring_footprint(128));
	uint8_t hdr[6] = { 1, 2, 3, 4, 5, 6 }, pay[200], out[200];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { pay, 20 } };
	bool wake;

	(void)state;
	for (unsigned i = 0; i < sizeof(pay); i++)
		pay[i] = stream_byte(i + 7);
	assert_int_equal(chan_ring_init(&r, m, chan_ring_footprint(128), 128), 0);
	assert_int_equal(chan_record_next_len(&r), -EAGAIN);
	assert_int_equal(chan_record_write(&r, iov, 2, &wake), 26); /* 4 + 26 -> 32 bytes */
	iov[1].iov_len = 0;
	assert_int_equal(chan_record_write(&r, iov, 1, &wake), 6);  /* 16 bytes */
	assert_int_equal(chan_record_write(&r, iov, 0, &wake), 0);  /* an empty datagram: 8 */
	assert_int_equal(chan_ring_readable(&r), 56);
	/* 72 bytes left: a 70-byte record needs 80. */
	iov[1].iov_len = 64;
	assert_int_equal(chan_record_write(&r, iov, 2, &wake), -EAGAIN);
	iov[1].iov_len = 200;
	assert_int_equal(chan_record_write(&r, iov, 2, &wake), -EMSGSIZE);

	assert_int_equal(chan_record_next_len(&r), 26);
	/* Peek leaves it; a short buffer gets the head of it and the full length. */
	assert_int_equal(chan_record_read(&r, out, 8, true, &wake), 26);
	assert_memory_equal(out, hdr, 6);
	assert_memory_equal(out + 6, pay, 2);
	assert_int_equal(chan_record_read(&r, out, 8, false, &wake), 26);
	assert_int_equal(chan_record_read(&r, out, sizeof(out), false, &wake), 6);
	assert_memory_equal(out, hdr, 6);
	assert_int_equal(chan_record_read(&r, out, sizeof(out), false, &wake), 0);
	assert_int_equal(chan_record_read(&r, out, sizeof(out), false, &wake), -EAGAIN);
	/* Records wrap around the end of the area like bytes do. */
	for (int k = 0; k < 20; k++) {
		iov[1].iov_len = (size_t)(k * 3);
		assert_int_equal(chan_record_write(&r, iov, 2, &wake), 6 + k * 3);
		assert_int_equal(chan_record_read(&r, out, sizeof(out), false, &wake), 6 + k * 3);
		assert_memory_equal(out + 6, pay, (size_t)(k * 3));
	}
	/* A peer writing a length past what it published breaks the ring. */
	iov[1].iov_len = 2;
	assert_int_equal(chan_record_write(&r, iov, 2, &wake), 8);
	{
		uint32_t head = *raw_head(m), bogus = 100;

		memcpy((uint8_t *)m + CHAN_RING_HDR_SIZE + (head & 127), &bogus, 4);
	}
	assert_int_equal(chan_record_next_len(&r), -EPROTO);
	assert_int_equal(chan_ring_readable(&r), -EPROTO);
	free(m);
}

/* ---- two threads blocking on eventfds through a 4 KiB ring ---- */

#define STRESS_BYTES (24u << 20)
#define STRESS_SECONDS 60

struct stress {
	struct chan_ring prod, cons;
	int data_efd;  /* signalled when the sleeping consumer has data */
	int room_efd;  /* signalled when the sleeping producer has room */
	uint64_t deadline_ns;
	unsigned signals;
	bool failed;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Sleeps on @efd until signalled. A lost wake-up sleeps until the deadline: false. */
static bool sleep_on(struct stress *s, int efd)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t now = mono_ns(), v;

	if (now >= s->deadline_ns)
		return false;
	if (poll(&pfd, 1, (int)((s->deadline_ns - now) / 1000000) + 1) <= 0)
		return false;
	(void)!read(efd, &v, sizeof(v));
	return true;
}

static void signal_efd(int efd)
{
	uint64_t one = 1;

	(void)!write(efd, &one, sizeof(one));
}

static void *producer(void *arg)
{
	struct stress *s = arg;
	uint8_t chunk[3000];
	uint64_t sent = 0, rng = 1;

	while (sent < STRESS_BYTES) {
		size_t n;
		ssize_t w;
		bool wake;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		n = 1 + (size_t)((rng >> 33) % sizeof(chunk));
		if (n > STRESS_BYTES - sent)
			n = STRESS_BYTES - sent;
		for (size_t i = 0; i < n; i++)
			chunk[i] = stream_byte(sent + i);
		for (size_t done = 0; done < n;) {
			w = chan_ring_write(&s->prod, chunk + done, n - done, &wake);
			if (w < 0) {
				s->failed = true;
				return NULL;
			}
			if (wake) {
				__atomic_fetch_add(&s->signals, 1, __ATOMIC_RELAXED);
				signal_efd(s->data_efd);
			}
			done += (size_t)w;
			if (done < n && chan_ring_writer_wait_prepare(&s->prod) == 0 &&
			    !sleep_on(s, s->room_efd)) {
				s->failed = true;
				return NULL;
			}
		}
		sent += n;
	}
	return NULL;
}

static void two_threads_byte_exact(void **state)
{
	struct stress s = { .deadline_ns = mono_ns() + STRESS_SECONDS * 1000000000ULL };
	void *m = ring_mem(chan_ring_footprint(4096));
	uint8_t buf[5000];
	uint64_t got = 0;
	pthread_t t;

	(void)state;
	s.data_efd = eventfd(0, EFD_NONBLOCK);
	s.room_efd = eventfd(0, EFD_NONBLOCK);
	assert_true(s.data_efd >= 0 && s.room_efd >= 0);
	assert_int_equal(chan_ring_init(&s.prod, m, chan_ring_footprint(4096), 4096), 0);
	assert_int_equal(chan_ring_attach(&s.cons, m, chan_ring_footprint(4096)), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &s), 0);
	while (got < STRESS_BYTES && !s.failed) {
		bool wake;
		ssize_t n = chan_ring_read(&s.cons, buf, sizeof(buf), &wake);

		assert_true(n >= 0);
		if (wake)
			signal_efd(s.room_efd);
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != stream_byte(got + (uint64_t)i))
				fail_msg("byte %llu differs", (unsigned long long)(got + (uint64_t)i));
		got += (uint64_t)n;
		if (n == 0 && chan_ring_reader_wait_prepare(&s.cons) == 0 &&
		    !sleep_on(&s, s.data_efd))
			break;
	}
	pthread_join(t, NULL);
	assert_false(s.failed);
	assert_int_equal(got, STRESS_BYTES);
	close(s.data_efd);
	close(s.room_efd);
	free(m);
}

/* ---- a forked producer writing records into a memfd mapping ---- */

#define FORK_RECORDS 20000

static void forked_producer_records(void **state)
{
	size_t len = chan_ring_footprint(8192);
	int fd = memfd_create("chan-ring-test", MFD_CLOEXEC);
	struct chan_ring c;
	uint8_t *m, buf[1100];
	uint64_t deadline = mono_ns() + 60 * 1000000000ULL;
	unsigned k = 0;
	int status;
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	{
		struct chan_ring p;

		assert_int_equal(chan_ring_init(&p, m, len, 8192), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child maps the memfd anew, as a process given the fd would. */
		uint8_t *cm = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		struct chan_ring p;
		uint8_t rec[1100];

		if (cm == MAP_FAILED || chan_ring_attach(&p, cm, len))
			_exit(2);
		for (unsigned i = 0; i < FORK_RECORDS; i++) {
			size_t n = (i * 7919u) % sizeof(rec);
			struct iovec iov = { rec, n };
			bool wake;
			ssize_t w;

			for (size_t j = 0; j < n; j++)
				rec[j] = stream_byte((uint64_t)i * 4096 + j);
			while ((w = chan_record_write(&p, &iov, 1, &wake)) == -EAGAIN)
				if (mono_ns() > deadline)
					_exit(3);
			if (w != (ssize_t)n)
				_exit(4);
		}
		_exit(0);
	}
	assert_int_equal(chan_ring_attach(&c, m, len), 0);
	while (k < FORK_RECORDS && mono_ns() < deadline) {
		bool wake;
		ssize_t n = chan_record_read(&c, buf, sizeof(buf), false, &wake);

		if (n == -EAGAIN)
			continue;
		assert_int_equal(n, (ssize_t)((k * 7919u) % sizeof(buf)));
		for (ssize_t j = 0; j < n; j++)
			if (buf[j] != stream_byte((uint64_t)k * 4096 + (uint64_t)j))
				fail_msg("record %u byte %zd differs", k, j);
		k++;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(k, FORK_RECORDS);
	munmap(m, len);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_and_attach_validate),
		cmocka_unit_test(wraps_around_and_fills),
		cmocka_unit_test(peek_consume_and_iovecs),
		cmocka_unit_test(wakes_only_sleepers),
		cmocka_unit_test(corrupt_header_is_caught),
		cmocka_unit_test(records_whole_or_nothing),
		cmocka_unit_test(two_threads_byte_exact),
		cmocka_unit_test(forked_producer_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
