"""The agency tree figures roll up along: Agency.parent where set, else the administrative
tree (a commune's agencies roll up to the commune People's Committee, which rolls up to the
People's Committee of the unit above)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache

from egov.org.models import AdministrativeUnit, Agency

CACHE_KEY = "stats:agency-tree:v1"
CACHE_SECONDS = 60


@dataclass
class Node:
    id: int
    name: str
    abbreviation: str
    identifier: str
    parent_id: int | None
    children: list[int] = field(default_factory=list)


@dataclass
class AgencyTree:
    nodes: dict[int, Node]

    def subtree(self, agency_id: int) -> set[int]:
        """The agency and every agency below it."""
        found: set[int] = set()
        stack = [agency_id]
        while stack:
            current = stack.pop()
            if current in found or current not in self.nodes:
                continue
            found.add(current)
            stack.extend(self.nodes[current].children)
        return found

    def children(self, agency_id: int | None) -> list[int]:
        if agency_id is None:
            return self.roots()
        node = self.nodes.get(agency_id)
        return list(node.children) if node else []

    def roots(self) -> list[int]:
        return sorted(
            (n.id for n in self.nodes.values() if n.parent_id is None),
            key=lambda i: self.nodes[i].identifier,
        )

    def ancestors(self, agency_id: int) -> list[int]:
        """From the top of the tree down to the agency's parent."""
        path: list[int] = []
        current = self.nodes[agency_id].parent_id if agency_id in self.nodes else None
        while current is not None and current not in path:
            path.append(current)
            current = self.nodes[current].parent_id
        return list(reversed(path))

    def name(self, agency_id: int) -> str:
        node = self.nodes.get(agency_id)
        return node.name if node else f"#{agency_id}"

    def roll_up(self, top: list[int], values: dict[int, int]) -> dict[int, int]:
        """Sum per-agency values over each top agency's subtree."""
        return {t: sum(values.get(a, 0) for a in self.subtree(t)) for t in top}


def _build() -> AgencyTree:
    units = {
        u["id"]: u["parent_id"]
        for u in AdministrativeUnit.objects.values("id", "parent_id").order_by()
    }
    rows = list(
        Agency.objects.values(
            "id", "name", "abbreviation", "identifier", "parent_id", "admin_unit_id", "kind"
        ).order_by("identifier")
    )
    committee_of_unit: dict[int, int] = {}
    for row in rows:
        if row["kind"] == Agency.Kind.PEOPLES_COMMITTEE and row["admin_unit_id"]:
            committee_of_unit.setdefault(row["admin_unit_id"], row["id"])
    nodes: dict[int, Node] = {}
    for row in rows:
        parent = row["parent_id"]
        if parent is None and row["admin_unit_id"]:
            unit = row["admin_unit_id"]
            if row["kind"] != Agency.Kind.PEOPLES_COMMITTEE:
                parent = committee_of_unit.get(unit)
            seen: set[int] = set()
            while parent is None and unit is not None and unit not in seen:
                seen.add(unit)
                unit = units.get(unit)
                if unit is not None:
                    parent = committee_of_unit.get(unit)
        nodes[row["id"]] = Node(
            id=row["id"],
            name=row["name"],
            abbreviation=row["abbreviation"],
            identifier=row["identifier"],
            parent_id=parent if parent != row["id"] else None,
        )
    # Break any cycle an operator's data could make: the agency on it becomes a root.
    for node in nodes.values():
        seen_ids: set[int] = {node.id}
        current = node.parent_id
        while current is not None:
            if current in seen_ids or current not in nodes:
                node.parent_id = None
                break
            seen_ids.add(current)
            current = nodes[current].parent_id
    for node in nodes.values():
        if node.parent_id is not None:
            nodes[node.parent_id].children.append(node.id)
    return AgencyTree(nodes=nodes)


def agency_tree() -> AgencyTree:
    """The tree, cached for a minute (two small queries to build)."""
    tree = cache.get(CACHE_KEY)
    if tree is None:
        tree = _build()
        cache.set(CACHE_KEY, tree, CACHE_SECONDS)
    return tree
