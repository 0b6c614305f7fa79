class Order < ApplicationRecord
  belongs_to :customer
  has_many :line_items, dependent: :destroy

  enum :status, { pending: "pending", paid: "paid", shipped: "shipped", cancelled: "cancelled" }
end
