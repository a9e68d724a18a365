/* Intrusive doubly-linked lists, in the shape of the kernel's list.h: the
 * agent keeps connections, containers, processes and waiters on them, and
 * removes entries in O(1) from inside callbacks.  */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list
{
  struct list *prev;
  struct list *next;
};

#define LIST_INIT(name)                                                                                      \
  {                                                                                                          \
    &(name), &(name)                                                                                         \
  }

static inline void
list_init (struct list *l)
{
  l->prev = l;
  l->next = l;
}

static inline bool
list_empty (const struct list *l)
{
  return l->next == l;
}

static inline void
list_add_tail (struct list *l, struct list *item)
{
  item->prev = l->prev;
  item->next = l;
  l->prev->next = item;
  l->prev = item;
}

/* Leaves ITEM pointing at itself, so removing twice is harmless.  */
static inline void
list_del (struct list *item)
{
  item->prev->next = item->next;
  item->next->prev = item->prev;
  list_init (item);
}

#define list_entry(ptr, type, member) ((type *) ((char *) (ptr) -offsetof (type, member)))

/* Iterates safely against removal of the current entry.  */
#define list_for_each_safe(pos, tmp, head)                                                                   \
  for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)
