class CreateOrders < ActiveRecord::Migration[7.1]
  def change
    create_table :orders do |t|
      t.references :customer, null: false, foreign_key: true
      t.string :status, null: false, default: "pending"
      t.decimal :total, precision: 12, scale: 2, null: false, default: 0
      t.timestamps
    end
  end
end
