from django.urls import path

from tsuen.booking import views

app_name = "booking"

urlpatterns: list = [
    path("", views.booking_list, name="list"),
    path("new/", views.book, name="book"),
    path("<int:booking_id>/cancel/", views.cancel, name="cancel"),
]
