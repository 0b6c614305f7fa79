from django.contrib import admin

from .models import Comment, Label, Ticket


class CommentInline(admin.StackedInline):
    model = Comment
    extra = 0


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "priority", "assignee", "created_at")
    list_filter = ("status", "priority", "labels")
    search_fields = ("title",)
    inlines = [CommentInline]


admin.site.register(Label)
