"""Code references in Rails: models, queries, strong parameters, SQL heredocs, ERB views."""

from __future__ import annotations

from refs_markers import FIXTURES, lines, markers, score

from migwright.tools.references import Match, Target, find_references
from migwright.tools.references_rubymodels import erb_as_ruby
from migwright.tools.repo import RepoFacts

DROP_TOTAL = [Target("orders", "total", "drop")]


def test_rails_precision_and_recall_are_exact() -> None:
    root = FIXTURES / "rails_app"
    refs_expected, nears = markers(root)
    assert (len(refs_expected), len(nears)) == (13, 8)
    found = lines(find_references(RepoFacts.load(root), "rails", DROP_TOTAL))
    assert found & nears == set(), "a near miss was reported"
    assert score(found, refs_expected) == (1.0, 1.0), (
        sorted(found - refs_expected),
        sorted(refs_expected - found),
    )


def test_rails_kinds_and_roles() -> None:
    refs = find_references(RepoFacts.load(FIXTURES / "rails_app"), "rails", DROP_TOTAL)
    by_line = {(r.path, r.line, r.role): r for r in refs}
    controller = "app/controllers/orders_controller.rb"
    assert by_line[(controller, 3, "filter")].match is Match.QUERY  # where(total: ...)
    assert by_line[(controller, 3, "sort")].match is Match.QUERY  # order(total: :desc)
    assert by_line[(controller, 36, None)].match is Match.SERIALIZER  # permit(:total)
    assert by_line[(controller, 29, "filter")].match is Match.RAW_SQL  # heredoc WHERE total
    assert by_line[("app/models/order.rb", 5, None)].match is Match.FIELD  # validates :total
    assert by_line[("app/models/order.rb", 6, "filter")].match is Match.QUERY  # where("total > ?")
    assert by_line[("app/views/orders/show.html.erb", 2, None)].match is Match.TEMPLATE


def test_rails_table_is_the_plural_of_the_class_and_customers_are_apart() -> None:
    refs = find_references(
        RepoFacts.load(FIXTURES / "rails_app"), "rails", [Target("customers", "total", "drop")]
    )
    assert lines(refs) == {
        ("app/controllers/orders_controller.rb", 5),
        ("app/models/customer.rb", 3),
    }


def test_erb_keeps_offsets_and_drops_markup_and_comments() -> None:
    text = "<p><%= @order.total %></p>\n<%# @order.total %>\n<% if x %>y<% end %>"
    ruby = erb_as_ruby(text)
    assert len(ruby) == len(text)
    assert ruby.index("@order.total") == text.index("@order.total")
    assert ruby.count("@order") == 1
    assert "<" not in ruby and "p>" not in ruby
