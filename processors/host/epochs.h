/*
 * epochs.h: the peer-epoch rule of DESIGN.md, applied by the processor
 * host before a plugin sees a record.  bmp.peer and bmp.route are not
 * ordered with each other, and Kafka may deliver records again; epochs
 * (a larger number at every Peer Up of a peer) make both safe:
 *  - a Peer Up of a newer epoch opens it (the plugin resets that peer);
 *  - a Peer Down of the current epoch closes it (the plugin drops that
 *    peer's routes); a Peer Down of a newer epoch closes all before it;
 *  - a route of the open epoch is delivered; a route of a newer epoch
 *    opens it first (its Peer Up is late); anything older is dropped.
 */
#ifndef BF_EPOCHS_H
#define BF_EPOCHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bf_epoch_action {
	BF_EPOCH_DROP,		/* stale or repeated: the plugin never sees it */
	BF_EPOCH_DELIVER,
	BF_EPOCH_OPEN_DELIVER,	/* route: report a Peer Up first, then it */
};

struct bf_epoch_entry {
	char		*key;		/* NULL: free slot */
	uint64_t	 current;
	bool		 open;
};

struct bf_epochs {
	struct bf_epoch_entry	*slots;
	size_t			 cap, count;
	uint64_t		 dropped;	/* records of closed epochs */
};

int	bf_epochs_init(struct bf_epochs *t);
void	bf_epochs_free(struct bf_epochs *t);

/*
 * key names the peer: router, peer type, address and RD, as the caller
 * joins them.  Returns what to do with the record; -1 never (out of
 * memory makes it DELIVER, the safe side for a monitor).
 */
enum bf_epoch_action bf_epochs_peer(struct bf_epochs *t, const char *key,
	    uint64_t epoch, bool up);
enum bf_epoch_action bf_epochs_route(struct bf_epochs *t, const char *key,
	    uint64_t epoch);

#endif /* BF_EPOCHS_H */
