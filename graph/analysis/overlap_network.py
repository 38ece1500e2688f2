"""The overlap network: related documents and their owners, and overlap clusters with their owners.

Built with networkx from :mod:`graph.analysis.overlap` (the pairs and clusters of GET /overlaps), written
as GraphML for Gephi or yEd, and drawn as SVG for the overlap page with networkx's layout.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape as xml_escape
from typing import Any

import networkx as nx

from graph.analysis import overlap
from graph.model.landscape import Landscape

__all__ = ["cluster_network", "network_svg", "overlap_graph", "to_graphml"]


def overlap_graph(land: Landscape, comparisons: Iterable[overlap.Comparison], cluster_score: float = 0.0) -> nx.Graph:
    """Return related documents, their owners and the pairs between them as one networkx graph.

    Document nodes are named by document id (with ``cluster``: the index in
    ``overlap.clusters(land, cluster_score)``, or -1); owner nodes are ``owner:<id>``.  Edges
    between documents carry relation, score and reasons; owner edges have relation ``owns``.
    """
    graph = nx.Graph()
    cluster_of: dict[str, int] = {}
    for index, cluster in enumerate(overlap.clusters(land, cluster_score)):
        documents: list[str] = cluster["documents"]  # type: ignore[assignment]
        cluster_of.update(dict.fromkeys(documents, index))
    for c in comparisons:
        for doc_id in (c.a, c.b):
            if doc_id in graph:
                continue
            doc = land.documents[doc_id]
            graph.add_node(
                doc_id,
                type="document",
                label=doc.title,
                kind=doc.kind,
                status=doc.status,
                valid=doc.valid,
                disease_areas="; ".join(land.notation(a) for a in doc.disease_areas),
                url=doc.url or "",
                cluster=cluster_of.get(doc_id, -1),
            )
            for owner in doc.owners:
                graph.add_node(f"owner:{owner}", type="owner", label=land.owner_name(owner))
                graph.add_edge(f"owner:{owner}", doc_id, relation="owns", score=1.0, reasons="")
        graph.add_edge(
            c.a,
            c.b,
            relation=c.relation or "",
            score=c.score,
            reasons="; ".join(r.text for r in c.reasons),
            source=c.a,
        )
    return graph


def to_graphml(graph: nx.Graph) -> bytes:
    """Return *graph* as GraphML (for Gephi, yEd or networkx)."""
    out = io.BytesIO()
    # The standard-library writer, named: nx.write_graphml picks lxml's when lxml happens to be installed,
    # and the file would then change with the environment.
    nx.write_graphml_xml(graph, out, encoding="utf-8")
    return out.getvalue()


def cluster_network(land: Landscape, min_score: float, owners: Sequence[str] = ()) -> nx.Graph:
    """Return overlap clusters and the owners of their documents as a weighted bipartite graph.

    Cluster nodes are ``cluster:<index>`` (the index in ``overlap.clusters(land, min_score)``);
    owner nodes ``owner:<id>``; an edge's weight is how many of the cluster's documents the
    owner holds.  With *owners*, only clusters holding a document of one of them.
    """
    graph = nx.Graph()
    for index, cluster in enumerate(overlap.clusters(land, min_score)):
        docs: list[str] = cluster["documents"]  # type: ignore[assignment]
        held = Counter(o for d in docs for o in land.documents[d].owners)
        if owners and not set(owners) & set(held):
            continue
        areas: list[str] = cluster["disease_areas"]  # type: ignore[assignment]
        graph.add_node(
            f"cluster:{index}",
            type="cluster",
            index=index,
            size=len(docs),
            label=", ".join(areas[:2]),
            documents=docs,
        )
        for owner, count in held.items():
            graph.add_node(
                f"owner:{owner}",
                type="owner",
                id=owner,
                label=_short_name(land, owner),
                name=land.owner_name(owner),
            )
            graph.add_edge(f"cluster:{index}", f"owner:{owner}", weight=count)
    return graph


def _short_name(land: Landscape, owner: str) -> str:
    org = land.organisations.get(owner)
    if org is None:
        return owner
    return org.abbreviation or (org.name if len(org.name) <= 18 else owner)


def _layout(graph: nx.Graph) -> dict[str, Any]:
    """Owners in two columns at the sides, clusters placed between them by networkx's spring layout.

    Each owner's height is the mean rank of the clusters it holds documents in, so lines cross
    little; the clusters then settle near their owners (owners fixed, seed fixed: same picture
    every time).
    """
    clusters = sorted(
        (n for n, d in graph.nodes(data=True) if d["type"] == "cluster"),
        key=lambda n: graph.nodes[n]["index"],
    )
    rank = {n: i for i, n in enumerate(clusters)}
    owners = sorted(
        (n for n, d in graph.nodes(data=True) if d["type"] == "owner"),
        key=lambda n: (
            sum(rank[c] * graph[n][c]["weight"] for c in graph[n])
            / max(1, sum(graph[n][c]["weight"] for c in graph[n])),
            n,
        ),
    )
    start: dict[str, tuple[float, float]] = {}
    for i, owner in enumerate(owners):
        side = -1.0 if i % 2 == 0 else 1.0
        column = owners[i % 2 :: 2]
        start[owner] = (side, 1.0 - 2.0 * column.index(owner) / max(1, len(column) - 1))
    for i, cluster in enumerate(clusters):
        start[cluster] = (0.0, 1.0 - 2.0 * i / max(1, len(clusters) - 1))
    if not clusters or not owners:
        return start
    placed = nx.spring_layout(graph, pos=start, fixed=owners, seed=7, weight="weight", iterations=300, k=0.35)
    return {
        n: (max(-0.62, min(0.62, float(p[0]))) if n in rank else float(p[0]), float(p[1])) for n, p in placed.items()
    }


def network_svg(
    graph: nx.Graph,
    highlight: Sequence[str] = (),
    lang: str = "da",
    width: int = 760,
    height: int = 560,
) -> str:
    """Draw a cluster network as SVG, positioned by networkx (see ``_layout``).

    Clusters are circles sized by their number of documents and linking to ``#cluster-<n>``;
    owners are labelled squares, the *highlight* ones dark.  Each node has a title for screen
    readers and is a link, so the keyboard reaches it.
    """
    en = lang == "en"
    title = "Overlap clusters and their owners" if en else "Overlapsklynger og deres ejere"
    if graph.number_of_nodes() == 0:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}" '
            f'viewBox="0 0 {width} 60" class="network">'
            f'<text x="10" y="35">{"No clusters" if en else "Ingen klynger"}</text></svg>'
        )
    positions = _layout(graph)
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]

    def scale(values: list[float], value: float, size: int, margin: int) -> float:
        low, high = min(values), max(values)
        return margin + (value - low) / ((high - low) or 1.0) * (size - 2 * margin)

    # Owner labels need room at the sides, cluster labels below.
    at = {n: (scale(xs, p[0], width, 90), scale(ys, p[1], height, 40)) for n, p in positions.items()}
    parts = [
        # A group, not an image: its nodes are links a keyboard and a screen reader must reach.
        f'<svg xmlns="http://www.w3.org/2000/svg" role="group" viewBox="0 0 {width} {height}" class="network" '
        'aria-labelledby="network-title">',
        f'<title id="network-title">{title}</title>',
        '<g class="edges">',
    ]
    for u, v, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = at[u], at[v]
        strong = any(n.removeprefix("owner:") in highlight for n in (u, v))
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke-width="{1 + min(data["weight"], 8) * 0.6:.1f}"'
            f' class="{"edge strong" if strong else "edge"}"/>'
        )
    parts.append('</g><g class="nodes">')
    for node, data in sorted(graph.nodes(data=True)):
        x, y = at[node]
        if data["type"] == "cluster":
            radius = 7 + 1.6 * min(int(data["size"]), 40) ** 0.75
            name = (
                f"Cluster {data['index'] + 1}: {data['size']} documents, {data['label']}"
                if en
                else f"Klynge {data['index'] + 1}: {data['size']} dokumenter, {data['label']}"
            )
            parts.append(
                f'<a href="#cluster-{data["index"] + 1}" class="node cluster"><title>{xml_escape(name)}</title>'
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"/>'
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{data["size"]}</text>'
                f'<text x="{x:.1f}" y="{y + radius + 13:.1f}" text-anchor="middle" class="sub">'
                f"{xml_escape(data['label'])}</text></a>"
            )
        else:
            marked = data["id"] in highlight
            label = xml_escape(data["label"])
            w = 10 + (7.8 if marked else 7.0) * len(data["label"])
            parts.append(
                f'<a href="?owner={xml_escape(data["id"])}" class="node owner{" marked" if marked else ""}">'
                f"<title>{xml_escape(data['name'])}</title>"
                f'<rect x="{x - w / 2:.1f}" y="{y - 10:.1f}" width="{w:.1f}" height="20" rx="3"/>'
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{label}</text></a>'
            )
    parts.append("</g></svg>")
    return "\n".join(parts)
