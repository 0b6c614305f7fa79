class BackfillOrderTotals < ActiveRecord::Migration[7.1]
  disable_ddl_transaction!

  def up
    execute <<~SQL
      UPDATE orders
         SET total = sums.total
        FROM (SELECT order_id, SUM(quantity * unit_price) AS total
                FROM line_items
               GROUP BY order_id) AS sums
       WHERE sums.order_id = orders.id
    SQL
  end

  def down
    raise ActiveRecord::IrreversibleMigration
  end
end
