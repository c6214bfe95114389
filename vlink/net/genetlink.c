// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generic netlink: the static inlines and macros of genetlink.h and
 * netlink.h the family needs.
 *
 * Rust side: vlink/net/genetlink.rs and vlink/net/genetlink/.
 */

#include <net/genetlink.h>
#include <net/sock.h>

#include "../shim.h"

/* Generic netlink. */

struct net *lana_genl_info_net(struct genl_info *info)
{
	return genl_info_net(info);
}

u32 lana_genl_info_portid(struct genl_info *info)
{
	return info->snd_portid;
}

/* Sends @skb to the socket @portid of @net; atomic. Consumes @skb. */
int lana_genlmsg_unicast(struct net *net, struct sk_buff *skb, u32 portid)
{
	return genlmsg_unicast(net, skb, portid);
}

struct net *lana_genl_dump_net(struct netlink_callback *cb)
{
	return sock_net(cb->skb->sk);
}

int lana_genlmsg_reply(struct sk_buff *skb, struct genl_info *info)
{
	return genlmsg_reply(skb, info);
}

void *lana_genlmsg_put_reply(struct sk_buff *skb, struct genl_info *info,
			     const struct genl_family *family, u8 cmd)
{
	return genlmsg_put(skb, info->snd_portid, info->snd_seq, family, 0, cmd);
}

void *lana_genlmsg_put_dump(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct genl_family *family, u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   family, NLM_F_MULTI, cmd);
}

struct nlattr *lana_nla_nest_start(struct sk_buff *skb, int type)
{
	return nla_nest_start(skb, type);
}

/*
 * Closes the nest at @start; a nest longer than nla_len can say (U16_MAX)
 * is removed instead and -EMSGSIZE returned: nla_nest_end would store a
 * truncated length, and the reader would parse the rest as other
 * attributes.
 */
int lana_nla_nest_end(struct sk_buff *skb, struct nlattr *start)
{
	if (skb_tail_pointer(skb) - (unsigned char *)start > U16_MAX) {
		nla_nest_cancel(skb, start);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, start);
	return 0;
}

/* Removes the nest at @start and everything after it. */
void lana_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start)
{
	nla_nest_cancel(skb, start);
}

/*
 * The attributes of request @info (after the generic-netlink header; the
 * family has no header of its own): *@len bytes at the returned address.
 * Every one of them was validated against the family's policy, repeated
 * ones included, though info->attrs keeps only the last of each type.
 */
const struct nlattr *lana_genl_info_attrs(struct genl_info *info, int *len)
{
	*len = genlmsg_len(info->genlhdr);
	return genlmsg_data(info->genlhdr);
}

/*
 * A reply message of @size payload bytes; __GFP_NOWARN: a large one that
 * cannot be had is answered with an error, not a splat.
 */
struct sk_buff *lana_genlmsg_new(size_t size)
{
	return genlmsg_new(size, GFP_KERNEL | __GFP_NOWARN);
}

/*
 * A message of @family with command @cmd to @portid (0: multicast), room
 * for GENLMSG_DEFAULT_SIZE, allocated atomically: its header in *@hdr,
 * NULL if there is no memory. Every event and trace record is allocated
 * here: t91 fails this function's allocations by its address range.
 */
struct sk_buff *lana_genlmsg_new_atomic(const struct genl_family *family,
					u32 portid, u8 cmd, void **hdr)
{
	struct sk_buff *skb = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_ATOMIC);

	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, portid, 0, family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

int lana_nla_put_u64(struct sk_buff *skb, int type, u64 value, int pad)
{
	return nla_put_u64_64bit(skb, type, value, pad);
}

const struct genl_family *lana_genl_dump_family(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->family;
}

int lana_genlmsg_multicast_netns(const struct genl_family *family,
				 struct net *net, struct sk_buff *skb,
				 unsigned int group)
{
	return genlmsg_multicast_netns(family, net, skb, 0, group, GFP_ATOMIC);
}

u8 lana_genl_dump_cmd(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->genlhdr->cmd;
}
