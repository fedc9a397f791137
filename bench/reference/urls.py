from django.urls import path

from bench.reference import views

urlpatterns = [
    path("book/", views.book),
    path("ping/", views.ping),  # the load path's ceiling: no database, no session
]
